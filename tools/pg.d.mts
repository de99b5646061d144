/** The newest Debian PostgreSQL server's bin directory, or undefined when none is installed. */
export function pgBin(): string | undefined;
