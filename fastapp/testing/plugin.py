"""The pytest plugin for fastapp projects (registered through the ``pytest11`` entry point).

Nothing happens until a test asks for one of its fixtures, so installing fastapp does not
change other test suites. Fixtures:

``fastapp_db``
    Tortoise initialised on the session's test databases (one per connection of the
    project, created and built with ``migrate`` on first use, dropped at the end). Each test
    runs inside a transaction that is rolled back afterwards; code under test that opens
    ``in_transaction()`` gets a savepoint. ``@pytest.mark.fastapp_db(transaction=True)``
    lets the test commit for real and empties the tables afterwards instead.
``client``
    An ``httpx.AsyncClient`` on the project's ASGI app (``fastapp_app = module:attr`` in the
    pytest ini, else ``ASGI_APP`` in the settings module), inside the test's transaction.
``@pytest.mark.fixtures("users", "blog")``
    Loads those fixture files through ``loaddata`` before the test (they are committed, so the
    tables are emptied after the test).

Options: ``--fastapp-settings`` (else ini ``fastapp_settings``, ``$FASTAPP_SETTINGS``,
``./settings.py``) and ``--fastapp-reuse-db`` (keep the test databases between runs, rebuilt
when they no longer match the models).
"""

from __future__ import annotations

import pytest

from fastapp.testing import session as _session

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the plugin's fixtures then say what is missing
    pytest_asyncio = None

MARK_DB = "fastapp_db"
MARK_FIXTURES = "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fastapp")
    group.addoption(
        "--fastapp-settings",
        default=None,
        help="settings module of the project under test (else ini fastapp_settings, "
        "$FASTAPP_SETTINGS, ./settings.py)",
    )
    group.addoption(
        "--fastapp-reuse-db",
        action="store_true",
        default=False,
        help="keep the test databases between runs; rebuilt when they differ from the models",
    )
    parser.addini("fastapp_settings", "settings module of the project under test", default="")
    parser.addini("fastapp_app", "the project's ASGI app as module:attribute", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARK_DB}(transaction=False): fastapp test database; transaction=True commits for "
        "real and empties the tables afterwards instead of rolling back",
    )
    config.addinivalue_line(
        "markers", f"{MARK_FIXTURES}(*names): load these fixture files (loaddata) before the test"
    )


@pytest.fixture(scope="session")
def fastapp_test_databases(request: pytest.FixtureRequest):
    """The session's test databases: created (or reused) on first use, dropped at the end."""
    config = request.config
    settings = config.getoption("--fastapp-settings") or config.getini("fastapp_settings") or None
    databases = _session.TestDatabases(
        settings_module=settings,
        reuse=config.getoption("--fastapp-reuse-db"),
        worker=_session.worker_id(),
    )
    databases.setup()
    yield databases
    databases.teardown()


def _require_asyncio() -> None:
    if pytest_asyncio is None:
        pytest.fail("the fastapp plugin's fixtures need pytest-asyncio: pip install pytest-asyncio")


def _session_loop(config: pytest.Config) -> bool:
    """Tests share one event loop (pytest-asyncio's ``asyncio_default_test_loop_scope``)."""
    try:
        return config.getini("asyncio_default_test_loop_scope") == "session"
    except ValueError:  # an older pytest-asyncio without that option
        return False


@pytest.fixture
def _fastapp_orm(request: pytest.FixtureRequest):
    """Tortoise on the test databases: once per session when the tests share the session's
    event loop (connections are bound to a loop), else once per test."""
    if _session_loop(request.config):
        return request.getfixturevalue("_fastapp_orm_session")
    return request.getfixturevalue("_fastapp_orm_per_test")


if pytest_asyncio is not None:

    @pytest_asyncio.fixture(scope="session", loop_scope="session")
    async def _fastapp_orm_session(fastapp_test_databases):
        async with fastapp_test_databases.orm():
            yield fastapp_test_databases

    @pytest_asyncio.fixture
    async def _fastapp_orm_per_test(fastapp_test_databases):
        async with fastapp_test_databases.orm():
            yield fastapp_test_databases

    @pytest_asyncio.fixture
    async def fastapp_db(request: pytest.FixtureRequest, _fastapp_orm):
        """Tortoise on the test databases, isolated per test (see the module docstring)."""
        databases = _fastapp_orm
        marker = request.node.get_closest_marker(MARK_DB)
        committing = bool(marker and marker.kwargs.get("transaction"))
        fixtures_mark = request.node.get_closest_marker(MARK_FIXTURES)
        fixture_names = tuple(fixtures_mark.args) if fixtures_mark else ()
        if fixture_names:
            await databases.load(fixture_names)
        if committing or fixture_names:
            try:
                yield databases
            finally:
                await databases.empty()
        else:
            async with databases.rolled_back():
                yield databases

    @pytest_asyncio.fixture
    async def client(request: pytest.FixtureRequest, fastapp_db):
        """An ``httpx.AsyncClient`` calling the project's ASGI app in-process (no lifespan:
        Tortoise is already initialised on the test databases)."""
        import httpx

        app = _session.load_asgi_app(request.config.getini("fastapp_app") or None, fastapp_db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http

else:  # pragma: no cover

    @pytest.fixture
    def fastapp_db():
        _require_asyncio()

    @pytest.fixture
    def client():
        _require_asyncio()
