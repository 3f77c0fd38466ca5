"""The webhook tests use the API's key helpers, the admin panel's signed-in client and the workers'
local receiver."""

from tests.functional.admin.conftest import _fast_argon2, admin_users, as_admin, settings, web  # noqa: F401
from tests.functional.api.conftest import keys  # noqa: F401
from tests.functional.workers.conftest import receiver  # noqa: F401
