/**
 * A local HTTP server that speaks the GitHub Actions artifact service's protocol, as @actions/artifact v6 uses it:
 * Twirp JSON (`POST /twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact` answering a signed upload
 * URL; `.../FinalizeArtifact` answering the artifact id), and Azure Blob storage's block upload at that URL
 * (`PUT ?comp=block&blockid=…` for each block, then `PUT ?comp=blocklist` with the block list in XML). It checks the
 * bearer token and the backend ids of the token's `scp` claim, assembles the zip, and keeps the finalized artifacts.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StoredArtifact {
  id: number
  name: string
  /** The uploaded bytes (a zip). */
  zip: Buffer
  /** What FinalizeArtifact said: size and `sha256:` hash. */
  size: string
  hash?: string
}

export interface ArtifactService {
  /** Value for ACTIONS_RESULTS_URL. */
  url: string
  /** Value for ACTIONS_RUNTIME_TOKEN: a JWT whose scp claim names this run and job. */
  token: string
  runBackendId: string
  jobBackendId: string
  artifacts: StoredArtifact[]
  /** Every request seen: method and path (without query). */
  requests: string[]
  stop(): Promise<void>
}

export interface ArtifactServiceOptions {
  /** Names already taken in this run (CreateArtifact answers 409). */
  taken?: string[]
  /** Answer every CreateArtifact with this status (e.g. 403). */
  createStatus?: number
}

const b64url = (s: string) => Buffer.from(s).toString('base64url')

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export async function startArtifactService(opts: ArtifactServiceOptions = {}): Promise<ArtifactService> {
  const runBackendId = randomUUID()
  const jobBackendId = randomUUID()
  const token = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(
    JSON.stringify({ scp: `Actions.GenericRead:${runBackendId} Actions.Results:${runBackendId}:${jobBackendId}`, exp: Math.floor(Date.now() / 1000) + 3600 }),
  )}.c2lnbmF0dXJl`
  const sig = randomUUID().replace(/-/g, '')
  const artifacts: StoredArtifact[] = []
  const requests: string[] = []
  const pending = new Map<string, { name: string; blocks: Map<string, Buffer>; zip?: Buffer }>()
  let nextId = 4000
  let base = ''

  const json = (res: ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(value))
  }
  const twirpError = (res: ServerResponse, status: number, code: string, msg: string) => json(res, status, { code, msg })

  async function twirp(req: IncomingMessage, res: ServerResponse, method: string) {
    if (req.headers.authorization !== `Bearer ${token}`) return twirpError(res, 401, 'unauthenticated', 'bad runtime token')
    const msg = JSON.parse((await body(req)).toString('utf8')) as Record<string, string>
    if (msg.workflow_run_backend_id !== runBackendId || msg.workflow_job_run_backend_id !== jobBackendId) {
      return twirpError(res, 400, 'invalid_argument', 'backend ids do not match the token')
    }
    if (method === 'CreateArtifact') {
      if (opts.createStatus) return twirpError(res, opts.createStatus, 'permission_denied', 'artifact creation refused by the test server')
      if (opts.taken?.includes(msg.name) || artifacts.some((a) => a.name === msg.name)) {
        return twirpError(res, 409, 'already_exists', `an artifact with this name already exists on the workflow run: ${msg.name}`)
      }
      const key = randomUUID()
      pending.set(key, { name: msg.name, blocks: new Map() })
      return json(res, 200, { ok: true, signed_upload_url: `${base}/devstoreaccount1/actions-results/${key}/${encodeURIComponent(msg.name)}.zip?sv=2023-11-03&sr=b&sp=cw&sig=${sig}` })
    }
    if (method === 'FinalizeArtifact') {
      const entry = [...pending.entries()].find(([, p]) => p.name === msg.name && p.zip)
      if (!entry) return twirpError(res, 404, 'not_found', 'nothing uploaded under this name')
      const [key, p] = entry
      const zip = p.zip as Buffer
      const hash = (msg.hash as unknown as string | undefined) ?? undefined
      if (hash && hash !== `sha256:${createHash('sha256').update(zip).digest('hex')}`) return twirpError(res, 400, 'invalid_argument', 'hash mismatch')
      pending.delete(key)
      const id = nextId++
      artifacts.push({ id, name: p.name, zip, size: msg.size, hash })
      return json(res, 200, { ok: true, artifact_id: String(id) })
    }
    return twirpError(res, 404, 'bad_route', `no method ${method}`)
  }

  async function blob(req: IncomingMessage, res: ServerResponse, url: URL) {
    if (url.searchParams.get('sig') !== sig) {
      res.writeHead(403)
      return res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code></Error>')
    }
    const key = url.pathname.split('/')[3]
    const p = pending.get(key)
    if (!p) {
      res.writeHead(404)
      return res.end()
    }
    const data = await body(req)
    const comp = url.searchParams.get('comp')
    if (comp === 'block') p.blocks.set(url.searchParams.get('blockid') ?? '', data)
    else if (comp === 'blocklist') {
      const ids = [...data.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((m) => m[1])
      p.zip = Buffer.concat(ids.map((id) => p.blocks.get(id) ?? Buffer.alloc(0)))
    } else p.zip = data
    res.writeHead(201, { etag: `"0x${Date.now().toString(16)}"`, 'last-modified': new Date().toUTCString(), 'x-ms-request-id': randomUUID(), 'x-ms-version': '2023-11-03', 'x-ms-request-server-encrypted': 'true' })
    res.end()
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base)
    requests.push(`${req.method} ${url.pathname}${url.searchParams.get('comp') ? `?comp=${url.searchParams.get('comp')}` : ''}`)
    const m = /^\/twirp\/github\.actions\.results\.api\.v1\.ArtifactService\/(\w+)$/.exec(url.pathname)
    const handle = m && req.method === 'POST' ? twirp(req, res, m[1]) : req.method === 'PUT' && url.pathname.startsWith('/devstoreaccount1/') ? blob(req, res, url) : null
    if (!handle) {
      res.writeHead(404)
      res.end()
      return
    }
    handle.catch((e: Error) => {
      res.writeHead(500)
      res.end(e.message)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${base}/`,
    token,
    runBackendId,
    jobBackendId,
    artifacts,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
