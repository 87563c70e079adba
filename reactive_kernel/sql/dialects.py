"""What SQL cells know about each dialect, as data (sqlglot's dialect names)."""

#: SQLAlchemy backend name -> sqlglot dialect
DIALECTS = {
    "duckdb": "duckdb", "postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql",
    "mariadb": "mysql", "mssql": "tsql", "oracle": "oracle", "snowflake": "snowflake",
    "bigquery": "bigquery", "redshift": "redshift", "trino": "trino", "clickhouse": "clickhouse",
    "databricks": "databricks",
}

#: per dialect, the catalogs and schemas a bare table name resolves to
SEARCH_PATH = {
    "duckdb": ({"memory", "temp"}, {"main"}),
    "postgres": (set(), {"public"}),
    "redshift": (set(), {"public"}),
    "sqlite": (set(), {"main", "temp"}),
    "tsql": (set(), {"dbo"}),
}

#: dialects where a string in FROM is a file read
FILE_TABLES = {"duckdb"}
