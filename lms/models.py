"""Import every feature's models so the metadata (and Alembic) sees all tables."""
from lms.assignments.models import (  # noqa: F401
    Assignment,
    Attachment,
    CommentBankEntry,
    Grade,
    PeerReview,
    Submission,
    SubmissionExport,
    SubmissionVersion,
)
from lms.auth.models import SignInThrottle, User, UserSession  # noqa: F401
from lms.cohorts.models import Cohort, CohortInvite, CohortMember  # noqa: F401
from lms.community.models import (  # noqa: F401
    Flag,
    Follow,
    ModerationAction,
    Post,
    PostLike,
    PostRevision,
    Suspension,
    Thread,
    ThreadRead,
)
from lms.community.notifications import Notification, NotificationPref  # noqa: F401
from lms.courses.models import (  # noqa: F401
    Course,
    CourseAsset,
    CourseInstructor,
    CourseRevision,
    Enrolment,
    Item,
    ItemProgress,
    ItemRevision,
    Module,
)
from lms.credentials.models import Credential, CredentialSerial  # noqa: F401
from lms.credits.models import (  # noqa: F401
    CeActivity,
    CeAudit,
    CeHolder,
    CeReminder,
    CeRenewal,
    LedgerEntry,
    LedgerUnlock,
)
from lms.mail import OutboxMessage  # noqa: F401
from lms.quizzes.models import (  # noqa: F401
    Accommodation,
    Attempt,
    AttemptQuestion,
    Question,
    QuestionVersion,
    Quiz,
)
