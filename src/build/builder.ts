/**
 * Building one image on a Docker engine with the classic builder (`POST /build`): the
 * context tar goes up, the engine's JSON progress stream comes back. Every line of output is
 * written to the image's log file; the caller gets the `Step N/M` lines as progress and, on
 * failure, the engine's error with the last lines of the log.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { dockerMessage, isNotFound, wrapDockerError } from '../providers/docker/errors.js';

export const LOG_TAIL_LINES = 50;

export interface LocalImage {
  id: string;
  labels: Record<string, string>;
}

/** The image a reference names on the engine, or undefined. */
export async function localImage(docker: Dockerode, ref: string): Promise<LocalImage | undefined> {
  try {
    const i = await docker.getImage(ref).inspect();
    return { id: i.Id, labels: i.Config?.Labels ?? {} };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw wrapDockerError(`inspect image ${ref}`, err);
  }
}

export interface BuildRequest {
  /** The context tar (with the Dockerfile). */
  context: Readable;
  /** The reference to tag the result with. */
  ref: string;
  labels: Record<string, string>;
  buildargs: Record<string, string>;
  nocache: boolean;
  /** Where the whole output goes (created, or truncated). */
  logFile: string;
  /** Credentials for registries a FROM may pull from, by address. */
  registryconfig?: Record<string, { username: string; password: string; serveraddress: string }>;
  /** Each `Step N/M : ...` line, as the engine reaches it. */
  onStep?: (text: string) => void;
  /** Secrets that must not reach the log (registry passwords). */
  redact?: string[];
}

export type BuildOutcome =
  { ok: true; id: string } | { ok: false; error: string; tail: string[]; logFile: string };

export async function buildImage(docker: Dockerode, req: BuildRequest): Promise<BuildOutcome> {
  mkdirSync(path.dirname(req.logFile), { recursive: true });
  const log = createWriteStream(req.logFile, { flags: 'w' });
  const tail: string[] = [];
  const redact = (s: string): string => {
    let out = s;
    for (const r of req.redact ?? []) if (r !== '') out = out.split(r).join('***');
    return out;
  };
  const line = (s: string): void => {
    const clean = redact(s);
    log.write(clean + '\n');
    tail.push(clean);
    if (tail.length > LOG_TAIL_LINES) tail.shift();
  };
  line(`# kolla build ${req.ref} at ${new Date().toISOString()}${req.nocache ? ' (no cache)' : ''}`);

  let stream: NodeJS.ReadableStream;
  try {
    const opts: Record<string, unknown> = {
      t: req.ref,
      labels: req.labels,
      buildargs: req.buildargs,
      nocache: req.nocache,
      rm: true,
      forcerm: true,
    };
    if (req.registryconfig && Object.keys(req.registryconfig).length > 0)
      opts['registryconfig'] = req.registryconfig;
    stream = await docker.buildImage(req.context, opts);
  } catch (err) {
    const msg = redact(dockerMessage(err));
    line(`ERROR: ${msg}`);
    await close(log);
    return { ok: false, error: msg, tail: [...tail], logFile: req.logFile };
  }

  let id: string | undefined;
  let error: string | undefined;
  let partial = '';
  const onText = (text: string): void => {
    partial += text;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const l = partial.slice(0, nl).replace(/\r$/, '');
      partial = partial.slice(nl + 1);
      line(l);
      const step = /^Step \d+\/\d+ : .*/.exec(l);
      if (step && req.onStep) req.onStep(redact(step[0]));
    }
  };
  const onEvent = (e: {
    stream?: string;
    status?: string;
    progress?: string;
    id?: string;
    error?: string;
    errorDetail?: { message?: string };
    aux?: { ID?: string };
  }): void => {
    if (typeof e.stream === 'string') onText(e.stream);
    else if (typeof e.status === 'string') {
      // Pull progress of a FROM image: one line per layer status, not every bar update.
      if (e.progress === undefined) onText(`${e.id ? `${e.id}: ` : ''}${e.status}\n`);
    }
    if (e.aux?.ID) id = e.aux.ID;
    if (e.error !== undefined || e.errorDetail?.message !== undefined) {
      error = redact(e.errorDetail?.message ?? e.error ?? 'build failed');
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      stream.on('data', (chunk: Buffer | string) => {
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const raw = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (raw === '') continue;
          try {
            onEvent(JSON.parse(raw) as Parameters<typeof onEvent>[0]);
          } catch {
            onText(raw + '\n');
          }
        }
      });
      stream.on('error', reject);
      stream.on('end', () => {
        if (buf.trim() !== '') {
          try {
            onEvent(JSON.parse(buf.trim()) as Parameters<typeof onEvent>[0]);
          } catch {
            onText(buf + '\n');
          }
        }
        resolve();
      });
    });
  } catch (err) {
    error = redact(dockerMessage(err));
  }
  if (partial !== '') onText('\n');

  if (error === undefined && id === undefined) {
    // Engines before API 1.30 report the ID only as "Successfully built <short id>".
    try {
      id = (await docker.getImage(req.ref).inspect()).Id;
    } catch (err) {
      error = `the build finished but ${req.ref} is not there: ${dockerMessage(err)}`;
    }
  }
  if (error !== undefined) {
    line(`ERROR: ${error}`);
    await close(log);
    return { ok: false, error, tail: [...tail], logFile: req.logFile };
  }
  await close(log);
  return { ok: true, id: id! };
}

/** Put `ref` on the image `id` as well. */
export async function tagImage(docker: Dockerode, id: string, ref: string): Promise<void> {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const [repo, tag] = colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
  try {
    await docker.getImage(id).tag({ repo, tag });
  } catch (err) {
    throw wrapDockerError(`tag ${ref}`, err);
  }
}

function close(s: WriteStream): Promise<void> {
  return new Promise((resolve) => s.end(() => resolve()));
}
