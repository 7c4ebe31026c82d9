"""Assignment tests use the storage tests' backends (a folder and S3 on moto) for uploads."""
from tests.test_storage import moto_endpoint, store  # noqa: F401 - fixtures
