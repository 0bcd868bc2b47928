// Who is signed in, for every screen: read once from the gateway (`skein/session`), again after a
// sign-in, and dropped when any call is answered 401.
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import { ApiError, call } from './api.js';

/** {state: 'loading' | 'signed-out' | 'signed-in' | 'failed', user, authentication, error} */
export const SessionContext = createContext({ state: 'loading' });

export function useSession() {
  return useContext(SessionContext);
}

/** The session as the app holds it, with `refresh()` and `signOut()`. */
export function useSessionState() {
  const [session, setSession] = useState({ state: 'loading' });

  const refresh = useCallback(async () => {
    try {
      const me = await call('skein/session');
      setSession({ state: 'signed-in', user: me.user, authentication: me.authentication });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        setSession({ state: 'signed-out' });
      } else {
        setSession({ state: 'failed', error: e });
      }
    }
  }, []);

  useEffect(() => {
    refresh();
    const ended = () => setSession((s) => (s.state === 'signed-in' && s.authentication ? { state: 'signed-out' } : s));
    window.addEventListener('skein:signed-out', ended);
    return () => window.removeEventListener('skein:signed-out', ended);
  }, [refresh]);

  const signOut = useCallback(async () => {
    // the screens go first, so that nothing they do afterwards is sent without a session
    setSession({ state: 'signed-out' });
    await call('skein/session/sign-out', { body: {} }).catch(() => {});
  }, []);

  return { ...session, refresh, signOut };
}

/** Whether the signed-in user may do what `level` needs with a resource whose permission is `permission`. */
export function allows(permission, level) {
  const rank = { NO_PERMISSIONS: 0, READ: 1, EDIT: 2, MANAGE: 4 };
  const needs = { READ: 1, UPDATE: 2, DELETE: 4, MANAGE: 4 };
  if (!permission) return true; // not known (yet): the API still refuses what is not allowed
  return (rank[permission] ?? 0) >= needs[level];
}

/**
 * The signed-in user's permission on each of `ids` (experiment ids, or model names with `kind`
 * 'models'): {id: 'READ' | 'EDIT' | 'MANAGE' | 'NO_PERMISSIONS'}; empty while loading, and always
 * empty with authentication off (everything is allowed there).
 */
export function useMyPermissions(kind, ids) {
  const session = useSession();
  const [permissions, setPermissions] = useState({});
  const key = ids.join('\u0000');
  useEffect(() => {
    if (!session.authentication || ids.length === 0) {
      setPermissions({});
      return undefined;
    }
    let live = true;
    const query = kind === 'models' ? { names: ids }
      : kind === 'endpoints' ? { endpoint_names: ids } : { experiment_ids: ids };
    call('skein/permissions/mine', { query })
      .then((answer) => live && setPermissions(answer.permissions || {}))
      .catch(() => live && setPermissions({}));
    return () => {
      live = false;
    };
  }, [kind, key, session.authentication]);
  return permissions;
}
