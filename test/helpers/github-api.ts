/**
 * A local stand-in for GitHub's REST API, deployments part (set GITHUB_API_URL to its url): create a deployment,
 * post its statuses, list the deployments of an environment. It checks the token, knows which refs the repository
 * holds (others get 422 as on GitHub), and can refuse everything with 403 as GitHub does for a token without
 * `deployments: write`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeStatus {
  state: string
  description?: string
  log_url?: string
  environment_url?: string
  auto_inactive?: boolean
}

export interface FakeDeployment {
  id: number
  ref: string
  environment: string
  description?: string
  payload?: Record<string, unknown>
  auto_merge?: boolean
  required_contexts?: string[]
  statuses: FakeStatus[]
}

export interface GitHubApi {
  url: string
  deployments: FakeDeployment[]
  /** Every request: `METHOD /path`. */
  requests: string[]
  stop(): Promise<void>
}

export interface GitHubApiOptions {
  token: string
  repository: string
  /** Refs the repository holds (branches, tags, shas). */
  refs: string[]
  /** Answer every request with 403 "Resource not accessible by integration". */
  forbid?: boolean
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      try {
        resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {})
      } catch (e) {
        reject(e)
      }
    })
  })
}

export async function startGitHubApi(opts: GitHubApiOptions): Promise<GitHubApi> {
  const deployments: FakeDeployment[] = []
  const requests: string[] = []
  let nextId = 100
  const send = (res: ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(value))
  }
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://api.invalid')
    requests.push(`${req.method} ${url.pathname}`)
    if (req.headers.authorization !== `token ${opts.token}`) return send(res, 401, { message: 'Bad credentials' })
    if (opts.forbid) {
      return send(res, 403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/deployments/deployments#create-a-deployment', status: '403' })
    }
    const base = `/repos/${opts.repository}/deployments`
    if (req.method === 'POST' && url.pathname === base) {
      const body = await readJson(req)
      if (!opts.refs.includes(body.ref as string)) return send(res, 422, { message: `No ref found for: ${body.ref}`, status: '422' })
      const d: FakeDeployment = {
        id: nextId++,
        ref: body.ref as string,
        environment: body.environment as string,
        description: body.description as string,
        payload: body.payload as Record<string, unknown>,
        auto_merge: body.auto_merge as boolean,
        required_contexts: body.required_contexts as string[],
        statuses: [],
      }
      deployments.push(d)
      return send(res, 201, { id: d.id, ref: d.ref, environment: d.environment, sha: d.ref, task: 'deploy', description: d.description })
    }
    if (req.method === 'GET' && url.pathname === base) {
      const env = url.searchParams.get('environment')
      const perPage = Number(url.searchParams.get('per_page') ?? 30)
      const list = deployments.filter((d) => !env || d.environment === env).reverse().slice(0, perPage)
      return send(res, 200, list.map((d) => ({ id: d.id, ref: d.ref, environment: d.environment })))
    }
    const m = new RegExp(`^${base}/(\\d+)/statuses$`).exec(url.pathname)
    if (req.method === 'POST' && m) {
      const d = deployments.find((x) => x.id === Number(m[1]))
      if (!d) return send(res, 404, { message: 'Not Found' })
      const body = await readJson(req)
      d.statuses.push({
        state: body.state as string,
        description: body.description as string,
        log_url: body.log_url as string,
        environment_url: body.environment_url as string,
        auto_inactive: body.auto_inactive as boolean,
      })
      return send(res, 201, { id: d.statuses.length, state: body.state })
    }
    return send(res, 404, { message: 'Not Found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deployments,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
