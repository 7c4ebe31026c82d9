"""The programme's rules (``courses/program.yml``) as typed objects, below every feature.

courses (which checks ``ce_category``), the CE ledger, credentials and verification all read the
rules from here, so none of them needs to import another to know them. Pure code: no database,
no Flask, no clock.
"""

from lms.programme.loader import (
    PROGRAM_FILE,
    InvalidProgramme,
    ProgrammeProblem,
    check_programme,
    clear_programme_cache,
    load_programme,
    programme_digest,
    programme_for,
    read_programme_yaml,
)
from lms.programme.models import (
    ActivityCap,
    ActivityType,
    CarryOver,
    Category,
    CourseItemRef,
    Credential,
    Cycle,
    Earn,
    FocusArea,
    Maintenance,
    Programme,
)

__all__ = [
    "PROGRAM_FILE", "ActivityCap", "ActivityType", "CarryOver", "Category", "CourseItemRef",
    "Credential", "Cycle", "Earn", "FocusArea", "InvalidProgramme", "Maintenance", "Programme",
    "ProgrammeProblem", "check_programme", "clear_programme_cache", "load_programme",
    "programme_digest", "programme_for", "read_programme_yaml",
]
