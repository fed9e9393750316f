package postgres

// MigrationLockID exposes the advisory lock key to the tests.
const MigrationLockID = migrationLockID
