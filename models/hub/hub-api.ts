// The Hugging Face hub's listing of a model repository, with the size and hash of every file:
// GET /api/models/<id>/tree/<rev>?recursive=true (paged by a Link: rel="next" header), or
// GET /api/models/<id>/revision/<rev>?blobs=true (siblings with lfs.sha256) as a fallback.

export interface HubFile {
  path: string;
  size: number;
  /** sha256 of the content, for LFS files (the hub's lfs.oid / lfs.sha256). */
  sha256?: string;
  /** git blob sha1 of the content, for regular files. */
  gitOid?: string;
}

export interface HubClientOptions {
  /** https://huggingface.co unless HF_ENDPOINT says otherwise. */
  endpoint: string;
  token?: string;
  /** Applies to connecting and to each metadata request. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface TreeEntry {
  type: string;
  path: string;
  size?: number;
  oid?: string;
  lfs?: { oid?: string; sha256?: string; size?: number };
}

interface Sibling {
  rfilename: string;
  size?: number;
  blobId?: string;
  lfs?: { sha256?: string; oid?: string; size?: number };
}

function headers(options: HubClientOptions): Record<string, string> {
  return { accept: 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
}

/** One request with a timeout; network failures become a HubError that says the hub is unreachable. */
export async function hubFetch(url: string, options: HubClientOptions, init: RequestInit = {}): Promise<Response> {
  const doFetch = options.fetch ?? fetch;
  try {
    return await doFetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(options.timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    const why = cause === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : cause;
    throw new HubError(`cannot reach ${new URL(url).origin} (${why})`, undefined, { cause: err });
  }
}

function nextLink(response: Response): string | null {
  const link = response.headers.get('link');
  const m = link && /<([^>]+)>\s*;\s*rel="next"/.exec(link);
  return m ? m[1]! : null;
}

async function json<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) {
    const hint = response.status === 401 || response.status === 403 ? ' (gated or private: set HF_TOKEN)' : response.status === 404 ? ' (no such repository or revision)' : '';
    throw new HubError(`${what}: HTTP ${response.status}${hint}`, response.status);
  }
  return (await response.json()) as T;
}

function fromTree(entry: TreeEntry): HubFile {
  const lfs = entry.lfs;
  if (lfs) return { path: entry.path, size: lfs.size ?? entry.size ?? 0, sha256: lfs.oid ?? lfs.sha256 };
  return { path: entry.path, size: entry.size ?? 0, ...(entry.oid ? { gitOid: entry.oid } : {}) };
}

function fromSibling(s: Sibling): HubFile {
  const lfs = s.lfs;
  if (lfs) return { path: s.rfilename, size: lfs.size ?? s.size ?? 0, sha256: lfs.sha256 ?? lfs.oid };
  return { path: s.rfilename, size: s.size ?? 0, ...(s.blobId ? { gitOid: s.blobId } : {}) };
}

export async function listRepoFiles(repoId: string, revision: string, options: HubClientOptions): Promise<HubFile[]> {
  const base = options.endpoint.replace(/\/$/, '');
  const rev = encodeURIComponent(revision);
  let url: string | null = `${base}/api/models/${repoId}/tree/${rev}?recursive=true`;
  const files: HubFile[] = [];
  let response = await hubFetch(url, options, { headers: headers(options) });
  if (response.status === 404 || response.status === 400) {
    // Older hub mirrors have no tree endpoint: the model info with blobs has the same data.
    response = await hubFetch(`${base}/api/models/${repoId}/revision/${rev}?blobs=true`, options, { headers: headers(options) });
    const info = await json<{ siblings?: Sibling[] }>(response, `listing ${repoId}@${revision}`);
    return (info.siblings ?? []).map(fromSibling);
  }
  for (;;) {
    const page = await json<TreeEntry[]>(response, `listing ${repoId}@${revision}`);
    for (const entry of page) if (entry.type === 'file') files.push(fromTree(entry));
    url = nextLink(response);
    if (!url) break;
    response = await hubFetch(new URL(url, base).href, options, { headers: headers(options) });
  }
  return files;
}

export function resolveUrl(repoId: string, revision: string, path: string, options: HubClientOptions): string {
  const base = options.endpoint.replace(/\/$/, '');
  return `${base}/${repoId}/resolve/${encodeURIComponent(revision)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}
