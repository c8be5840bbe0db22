// The module's JSON API on this origin: errors carry the HTTP status, so
// that the page can tell "nothing published" (503) from "Redis is slow"
// (504) from a bad filter (400).

export class ApiError extends Error {
    constructor(status, body) {
        super((body && (body.detail || body.error)) || 'HTTP ' + status);
        this.status = status;
        this.body = body;
    }
}

export function makeApi(base) {
    async function request(path, params, init) {
        const u = new URL(path, base);
        if (params) {
            for (const [k, v] of Object.entries(params)) {
                if (v !== undefined && v !== '') {
                    u.searchParams.set(k, v);
                }
            }
        }
        let r;
        try {
            r = await fetch(u, Object.assign({credentials: 'same-origin'},
                                             init || {}));
        } catch (e) {
            throw new ApiError(0, {error: 'unreachable',
                                   detail: 'the server cannot be reached'});
        }
        let body = null;
        try {
            body = await r.json();
        } catch (e) {
            body = null;
        }
        if (!r.ok) {
            throw new ApiError(r.status, body);
        }
        return body;
    }
    return {
        base,
        get: (path, params) => request(path, params),
        post: (path, data) => request(path, null, {
            method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify(data)
        })
    };
}
