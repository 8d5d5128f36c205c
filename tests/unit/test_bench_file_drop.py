"""bench.run's file drop is written while the bench still holds the demo file open through an
earlier mode's hub, with another DuckDB configuration (CI's bench smoke stopped there)."""

import duckdb

from bench.run import file_drop


def test_the_file_drop_is_written_while_the_demo_file_is_open_otherwise(tmp_path) -> None:
    db = tmp_path / "demo-1000.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE hotline_tickets (ticket_id VARCHAR, received_at TIMESTAMP)")
        con.execute("INSERT INTO hotline_tickets VALUES ('T1', '2026-11-01'), ('T2', NULL)")
    held = duckdb.connect(str(db), read_only=True, config={"memory_limit": "64MB"})
    try:
        folder = file_drop(db, tmp_path)
    finally:
        held.close()
    (written,) = folder.glob("hotline_tickets_*.parquet")
    rows = duckdb.sql(f"SELECT ticket_id FROM '{written}' ORDER BY ticket_id").fetchall()
    assert rows == [("T1",), ("T2",)]
