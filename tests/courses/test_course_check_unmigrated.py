"""`courses check` lints a fresh clone's tree before the database has been migrated."""
from pathlib import Path

from lms import create_app
from lms.config import TestConfig as AppTestConfig

REPO = Path(__file__).resolve().parents[2]


def test_check_works_without_a_migrated_database(tmp_path):
    app = create_app(AppTestConfig(str(tmp_path), database_url=f"sqlite:///{tmp_path}/empty.db"))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["courses", "check", str(REPO / "courses")])
    assert result.exit_code == 0, result.output
    assert "No problems found." in result.output
