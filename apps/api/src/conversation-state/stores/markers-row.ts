/** A row of the `markers` table: the same columns in SQLite and PostgreSQL. */
export interface MarkersRow {
  reader: string;
  peer: string;
  delivered: string | null;
  read: string | null;
  public_read: string | null;
  read_count: number;
}
