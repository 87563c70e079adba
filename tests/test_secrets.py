"""Credentials never leave in the kernel's own text (issue 20, item 6).

The masker on realistic strings first, then the texts built from cells in
process (labels, ``%reactive``, summaries, the report), then the real kernel:
``%reactive`` and its subcommands, the companion's messages, the
execute_reply's ``metadata.reactive`` and the kernel's log (its stderr, at
debug level, where every request is logged) never show a password, while
the user's own ``print`` of it still does.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time

import pytest

from reactive_kernel.core.engine import Engine
from reactive_kernel.core.report import Report
from reactive_kernel.core.secrets import PATTERNS, MaskingFilter, mask, mask_log
from reactive_kernel.present import drawing
from reactive_kernel.present.explain import dependency_graph, graph_listing, status, why
from reactive_kernel.present.marks import first_line, label
from reactive_kernel.present.summary import summarize
from reactive_kernel.present.view import CellView
from reactive_kernel.sql import SqlCells, mask_url_text
from tests.support.client import KernelSession, plain
from tests.test_companion import Companion, comm_data

SECRET = "Hunter2-xyzzy"
URL = f"postgresql://alice:{SECRET}@db.example.com:5432/shop"
MASKED_URL = "postgresql://alice:***@db.example.com:5432/shop"


# -- the masker --------------------------------------------------------------------

MASKED = [
    ("postgres", "pg = 'postgresql://alice:secret@host/db'", "pg = 'postgresql://alice:***@host/db'"),
    ("postgres driver, port, query", "postgresql+psycopg2://alice:s3cr3t@db.example.com:5432/shop?sslmode=require",
     "postgresql+psycopg2://alice:***@db.example.com:5432/shop?sslmode=require"),
    ("mysql, password with @ and :", "mysql+pymysql://root:p@ss:w0rd@localhost:3306/app?charset=utf8mb4",
     "mysql+pymysql://root:***@localhost:3306/app?charset=utf8mb4"),
    ("snowflake", "snowflake://bob:Hunter2%21@myorg-acct/db/public?warehouse=wh&role=analyst",
     "snowflake://bob:***@myorg-acct/db/public?warehouse=wh&role=analyst"),
    ("mongodb+srv, URL-encoded", "mongodb+srv://admin:Zx%40y%3A1@cluster0.ab1cd.mongodb.net/?retryWrites=true",
     "mongodb+srv://admin:***@cluster0.ab1cd.mongodb.net/?retryWrites=true"),
    ("password with a slash", "postgresql://alice:pa/ss@host/db", "postgresql://alice:***@host/db"),
    ("redis, no user", "redis://:redispass@localhost:6379/0", "redis://:***@localhost:6379/0"),
    ("two URLs", "from postgresql://a:one@h1/x to mysql://b:two@h2/y",
     "from postgresql://a:***@h1/x to mysql://b:***@h2/y"),
    ("mssql ODBC", 'pyodbc.connect("DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:srv,1433;UID=sa;PWD=S3cret!;'
     'Encrypt=yes")',
     'pyodbc.connect("DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:srv,1433;UID=sa;PWD=***;Encrypt=yes")'),
    ("ODBC braced value", "DRIVER={ODBC Driver 18};SERVER=x;UID=sa;PWD={Very;Secret1};",
     "DRIVER={ODBC Driver 18};SERVER=x;UID=sa;PWD=***;"),
    ("ODBC Password=", "Server=myServer;Database=myDB;User Id=me;Password=myPassword;",
     "Server=myServer;Database=myDB;User Id=me;Password=***;"),
    ("URL-encoded odbc_connect", "mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC%7D%3BUID%3Dsa%3BPWD%3DS3cret%21%3B",
     "mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC%7D%3BUID%3Dsa%3BPWD%3D***%3B"),
    ("libpq DSN", 'psycopg2.connect("host=db user=alice password=s3cret dbname=shop")',
     'psycopg2.connect("host=db user=alice password=*** dbname=shop")'),
    ("keyword argument, literal", 'psycopg2.connect(host="db", password="s3cret")',
     'psycopg2.connect(host="db", password="***")'),
    ("dict", '{"user": "bob", "password": "hunter2"}', '{"user": "bob", "password": "***"}'),
    ("environment", 'os.environ["OPENAI_API_KEY"] = "sk-proj-abc123DEF456ghi789JKL"',
     'os.environ["OPENAI_API_KEY"] = "***"'),
    ("query token", "https://api.example.com/v1/data?user=bob&token=abc123&page=2",
     "https://api.example.com/v1/data?user=bob&token=***&page=2"),
    ("Azure", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=abc123==;EndpointSuffix=core.windows.net",
     "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=***;EndpointSuffix=core.windows.net"),
    ("Authorization header", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", "Authorization: Bearer ***"),
    ("Authorization in a dict", 'headers={"Authorization": "token ghx0123456789"}',
     'headers={"Authorization": "token ***"}'),
    ("bare Bearer", "sent Bearer abc123def456", "sent Bearer ***"),
    ("GitHub token", 'tok = "ghp_0123456789abcdefghijABCDEFGHIJ0123456"', 'tok = "ghp_***"'),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in MASKED], ids=[c[0] for c in MASKED])
def test_credentials_are_masked_user_and_host_kept(text, expected):
    assert mask(text) == expected
    assert mask(expected) == expected  # masking twice changes nothing


UNTOUCHED = [
    "a = b @ c",
    "x @= y",
    'send(to="alice@example.com")',
    "mailto:alice@example.com",
    "git@github.com:org/repo.git",
    "ssh://git@github.com:22/org/repo",
    "postgresql://alice@host/db",
    "https://example.com:8080/users/@alice",
    "https://example.com:8080/path",
    "sqlite:///file.db",
    "duckdb:///:memory:",
    'url = f"postgresql://{user}:{password}@{host}/db"',
    '"postgresql://%s:%s@%s/db" % (user, pw, host)',
    "con = connect(password=pw)",
    "con = connect(user, password=pw, host=h)",
    "password = getpass.getpass()",
    "token = os.environ['TOKEN']",
    'password = ""',
    'tokenizer.pad_token = "<pad>"',
    "max_tokens=100",
    "The bearer of bad news",
    "@decorator\ndef f(): pass",
    "df.loc[df.a > 1, 'b'] = c @ d.T",
]


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_code_and_emails_are_untouched(text):
    assert mask(text) == text


@pytest.mark.parametrize("text", [
    "a://b:c" * 8000, "a." * 30000, "1-" * 30000, ";pwd={" * 10000, "password='a " * 6000,
    "postgresql://u:" + "x@" * 30000,
], ids=["schemes", "dots", "dashes", "braces", "quotes", "ats"])
def test_a_long_line_without_spaces_takes_linear_time(text):
    """Log lines quote whole cells: an unbounded search was quadratic (36 s for 112k characters)."""
    start = time.perf_counter()
    mask(text)
    assert time.perf_counter() - start < 3


def test_every_pattern_is_data_with_a_secret_group():
    for name, pattern, _keep in PATTERNS:
        assert "(?P<secret>" in pattern, name


def test_known_secrets_are_masked_wherever_they_stand():
    """What SQL learned from an Engine's URL: a database may quote it bare."""
    assert mask("auth failed for hunter22", ["hunter22"]) == "auth failed for ***"
    assert mask("a b", ["a"]) == "a b"  # too short to mask safely
    assert mask_url_text("error near hunter22", ("hunter22",)) == "error near ***"  # sql's name for it


def test_the_log_filter_masks_message_arguments_and_traceback():
    logger = logging.getLogger("tests.secrets")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    logger.addHandler(handler)
    logger.propagate = False
    mask_log(logger)
    mask_log(logger)  # once is enough
    try:
        assert sum(isinstance(f, MaskingFilter) for f in logger.filters) == 1
        logger.warning("cell: %s", URL)
        try:
            raise RuntimeError(f"cannot connect to {URL}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert SECRET not in text
    assert f"cell: {MASKED_URL}" in text and f"RuntimeError: cannot connect to {MASKED_URL}" in text


# -- in process: the texts built from cells ----------------------------------------------

def _notebook(cells):
    view = CellView(Engine(), {}, set())
    view.reasons = True
    report = None
    for count, (cell_id, code) in enumerate(cells, 1):
        run = view.engine.request(cell_id, code)
        for step in run:
            run.finish(step, view.engine._exec(step))
        view.prompts[cell_id] = count
        view.record(run, count)
        report = run.report
    return view, report


def test_labels_first_lines_marks_and_summaries_are_masked():
    view, _ = _notebook([("a", f"pg = '{URL}'"), ("b", f"print(pg, '{URL}')")])
    engine = view.engine
    assert view.label("b") == first_line(f"print(pg, '{MASKED_URL}')")
    assert SECRET not in label(engine.cells["b"]) and "alice:***" in view.label("b")
    # masked before it is cut: the cut would leave the password without its '@'
    assert SECRET[:4] not in first_line(f"x = '{URL}'", 30)
    run = engine.request("a", f"pg = '{URL}?sslmode=require'")  # an edit: b reruns
    for step in run:
        run.finish(step, engine._exec(step))
    view.record(run, 3)
    line = summarize(run.report, engine)
    assert "alice:***" in line and SECRET not in line
    assert all(SECRET not in (last.why or "") for last in view.last.values())


def test_reactive_texts_are_masked_in_process():
    view, report = _notebook([("a", f"pg = '{URL}'"), ("b", f"print(pg, '{URL}')")])
    texts = [status(view, report), why(view, "pg"), why(view, "b"), graph_listing(dependency_graph(view))]
    for text in texts:
        assert SECRET not in text.plain() and SECRET not in text.html()
    assert f"code: pg = '{MASKED_URL}'" in why(view, "pg").plain()
    picture = drawing.svg(dependency_graph(view), f"around {URL}")
    assert SECRET not in picture and "alice:***" in picture


def test_report_messages_are_masked_as_they_are_set():
    report = Report("a", "clean", error={"kind": "internal", "message": f"ValueError: {URL}", "cell_id": "a"})
    assert report.error == {"kind": "internal", "message": f"ValueError: {MASKED_URL}", "cell_id": "a"}
    report.error = {"kind": "syntax", "message": f"SyntaxError near password='{SECRET}'"}
    assert SECRET not in json.dumps(report.to_json())


def test_sql_graph_names_and_messages_are_masked():
    cells = SqlCells(namespace={})
    assert cells.analyze(f"--engine {URL}", "SELECT * FROM t").reads == {f"table:{MASKED_URL}:t"}
    # DuckDB reads files by URL: the graph name (what the companion's graph shows) is masked
    read = cells.analyze("", f"SELECT * FROM read_csv('s3://key:{SECRET}@bucket/x.csv')").reads
    assert read == {"file:s3://key:***@bucket/x.csv"}


# -- the real kernel ---------------------------------------------------------------------

class LoggedKernel(KernelSession):
    """A reactive kernel whose stderr (its log, at debug level: every request
    and reply is logged) goes to a file the test reads after shutdown."""

    def __init__(self, path):
        self.path = path
        self._stderr = open(path, "w")
        super().__init__("reactive", stderr=self._stderr, extra_arguments=["--debug"])

    def log(self) -> str:
        self.close()
        self._stderr.close()
        return self.path.read_text()


@pytest.fixture
def logged(tmp_path):
    kernel = LoggedKernel(tmp_path / "kernel.log")
    yield kernel
    if kernel.client.channels_running:
        kernel.close()


def reactive_output(execution) -> str:
    """Everything ``%reactive`` displayed or raised: text, HTML and SVG."""
    parts = [json.dumps(m["content"]) for m in execution.of_type("display_data", "error")]
    assert parts, execution.messages
    return "\n".join(parts)


def metadata_of(executions) -> str:
    return json.dumps([e.reply["metadata"] for e in executions])


def user_text(execution) -> str:
    """The cell's own output as the user sees it (streams, displays, updates)."""
    return execution.text()


def test_no_password_in_reactive_the_companion_the_reply_or_the_log(logged):
    kernel, replies = logged, []
    companion = Companion(kernel)

    def run(code, cell_id=None, **kw):
        execution = kernel.execute(code, cell_id, **kw)
        replies.append(execution)
        return execution

    run(f"pg = '{URL}'", "a")
    shown = run("print(pg)", "b")
    run(f"options = dict(url=pg, connect_args={{'password': '{SECRET}'}})", "c")
    run(f"print('connecting to {URL}')\nlen(pg)", "d")
    assert SECRET in user_text(shown)  # the user's own output: untouched
    rerun = run(f"pg = '{URL}?sslmode=require'", "a")  # an edit: its readers rerun, for the companion's reasons and summary
    assert {e["cell_id"] for e in rerun.reactive["ran"]} == {"a", "b", "c", "d"}
    assert SECRET in user_text(rerun)  # b's and d's own output, rerun

    answers = [run(q, "q") for q in ("%reactive", "%reactive why pg", "%reactive why d", "%reactive why c",
                                     "%reactive graph", "%reactive graph pg", f"%reactive why {URL}")]
    assert answers[-1].reply["content"]["ename"] == "UsageError"
    for answer in answers:
        assert SECRET not in reactive_output(answer)
    assert f"code: pg = '{MASKED_URL}" in reactive_output(answers[1])
    assert "alice:***" in plain(reactive_output(answers[2]))

    # a bug of ours whose message quotes the URL: the reply and the log say it masked
    kernel.execute("_k = get_ipython().kernel; _request = _k.engine.request\n"
                   f"def _broken(*a, **k): raise RuntimeError('cannot plan {URL}')\n"
                   "_k.engine.request = _broken", silent=True)
    broken = run("z = 1", "e")
    kernel.execute("_k.engine.request = _request", silent=True)
    assert broken.reactive["error"]["message"] == f"RuntimeError: cannot plan {MASKED_URL}"
    last = run("%reactive", "q")
    assert f"cannot plan {MASKED_URL}" in plain(reactive_output(last))
    # malformed request metadata is logged (once), masked
    run("y = 2", "f", metadata={"reactive": URL})

    companion_text = json.dumps(comm_data_all(replies, companion) + companion.opened
                                + companion.ask({"type": "state"}) + companion.ask({"type": "graph"})
                                + companion.ask({"type": "related", "cell_id": "d"}))
    assert '"type": "state"' in companion_text and '"type": "graph"' in companion_text
    assert "alice:***" in companion_text and SECRET not in companion_text
    assert "reran: " in companion_text  # the summary of a's rerun was sent
    assert SECRET not in metadata_of(replies)

    log = logged.log()
    assert "ignoring malformed execute_request metadata reactive" in log
    assert f"RuntimeError: cannot plan {MASKED_URL}" in log  # the traceback of our "bug"
    assert "alice:***" in log and SECRET not in log


def comm_data_all(executions, companion) -> list[dict]:
    return [d for e in executions for d in comm_data(e, companion)]


def test_the_name_error_naming_a_later_cell_masks_its_first_line(kernel):
    companion = Companion(kernel, order=["reader", "writer"])
    kernel.execute(f"pg = '{URL}'", "writer")
    failed = kernel.execute("print(pg)", "reader")
    assert failed.status == "error"
    text = failed.text()
    assert "defined only in a later cell (cell \"pg = 'postgresql://alice:***@db.ex" in text
    assert SECRET not in text
    assert companion.comm_id


# -- the real kernel on a real PostgreSQL, the password in %%sql --engine lines -----------

@pytest.fixture(scope="module")
def cluster():
    from tests.support.postgres import Cluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set: PostgreSQL tests must run)")
        pytest.skip(reason)
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("psycopg2 is not installed (CI is set: PostgreSQL tests must run)")
        pytest.skip("psycopg2 is not installed")
    server = Cluster(bindir)
    try:
        server.start()
        server.create_database("alpha")
        yield server
    finally:
        server.stop()


@pytest.mark.postgres
def test_sql_engine_urls_with_passwords_on_a_real_postgres(logged, cluster):
    from tests.support.postgres import PASSWORD

    kernel, replies = logged, []
    url = cluster.url("alpha")
    wrong = "Wr0ng-pa55-9"
    companion = Companion(kernel)

    def run(code, cell_id):
        execution = kernel.execute(code, cell_id)
        replies.append(execution)
        return execution

    create = f"%%sql --engine {url} --drop\nCREATE TABLE leak_t AS SELECT 1 AS a"
    assert run(create, "mk").status == "ok"
    select = run(f"%%sql --engine {url}\nSELECT a FROM leak_t", "sel")
    assert select.status == "ok" and "1" in user_text(select)
    assert run(f"url = '{url}'", "u").status == "ok"
    assert run(f"%%sql --engine {url} -o frame\nSELECT a + 1 AS b FROM leak_t", "out").status == "ok"
    assert run("%%sql --engine url\nSELECT 2 AS c", "var").status == "ok"  # the engine in a variable
    assert PASSWORD in user_text(run("print(url)", "p"))  # the user's own output
    again = run(create, "mk")  # clean rerun: the table is cleared, its readers rerun
    assert {e["cell_id"] for e in again.reactive["ran"]} >= {"mk", "sel", "out"}
    assert any(":***@127.0.0.1" in name for name in again.reactive["cleared"])
    bad = run(f"%%sql --engine {cluster.url('alpha', password=wrong)}\nSELECT 1", "bad")
    assert bad.status == "error" and "password authentication failed" in user_text(bad)
    assert wrong not in user_text(bad) and PASSWORD not in user_text(bad)  # the SQL message is the kernel's

    answers = [run(q, "q") for q in ("%reactive", "%reactive why sel", "%reactive why mk", "%reactive graph",
                                     "%reactive graph sel")]
    for answer in answers:
        assert PASSWORD not in reactive_output(answer) and wrong not in reactive_output(answer)
    assert "tester:***@" in plain(reactive_output(answers[1]))

    companion_text = json.dumps(comm_data_all(replies, companion) + companion.opened
                                + companion.ask({"type": "state"}) + companion.ask({"type": "graph"})
                                + companion.ask({"type": "related", "cell_id": "sel"}))
    state = companion.ask({"type": "state"})[0]
    assert re.match(r"%%sql --engine postgresql\+psycopg2://te", state["cells"]["sel"]["label"])
    for secret in (PASSWORD, wrong):
        assert secret not in companion_text and secret not in metadata_of(replies)

    log = logged.log()
    assert "tester:***@127.0.0.1" in log
    assert PASSWORD not in log and wrong not in log
