// Where the CLI writes: standard output and error, or a test's buffers.
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}
