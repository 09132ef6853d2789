/**
 * Transport: how kolla reaches one host — its Docker engine and its filesystem.
 * Providers and the config writer speak only to this interface, so a local host and an
 * SSH host look the same to them. Implementations: LocalTransport (this machine); an SSH
 * one lives beside it.
 */
import type Dockerode from 'dockerode';

export interface Transport {
  /** The inventory name of the host this transport reaches. */
  readonly host: string;
  /** A Docker client for the host's engine; created on first use and then reused. */
  docker(): Promise<Dockerode>;
  /** The file's bytes, or undefined when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /**
   * Replace the file so that a reader sees either the old or the new content, never a
   * partial one (temp file in the same directory, fsync, rename). The file ends up with
   * exactly `mode` whatever the umask. The parent directory must exist.
   */
  writeFileAtomic(path: string, data: Buffer | string, mode: number): Promise<void>;
  /**
   * Create the file only if it does not exist (O_CREAT|O_EXCL): true when this call created
   * it, false when it was already there. The lock primitive for per-host locks.
   */
  createExclusive(path: string, data: string, mode: number): Promise<boolean>;
  /** Remove a file; a file that is already gone is not an error. */
  removeFile(path: string): Promise<void>;
  /** Create a directory and its missing parents; the ones created get exactly `mode`. */
  mkdirp(path: string, mode: number): Promise<void>;
  /** sha256 (hex) of the file's content, or undefined when it does not exist. */
  fileHash(path: string): Promise<string | undefined>;
  /** Release connections. The transport must not be used afterwards. */
  close(): Promise<void>;
}
