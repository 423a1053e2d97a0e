import { useSqliteFiles } from '../../../testing/store-backends';
import { sessionStoreContract } from '../session.store.contract';
import { SqliteSessionStore } from './sqlite-session.store';

// The contract suite against real files in a temporary folder, one database per test.
const files = useSqliteFiles();

sessionStoreContract(
  'sqlite',
  (options) => new SqliteSessionStore(files.open(), options),
);
