import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { type Api, createApi } from './api';

interface Session {
  api: Api;
  /** The key's name (`alice`) and what its role allows: admin includes operator, operator includes viewer. */
  name: string;
  role: string;
  roles: string[];
  /** Forgets the key: back to the login page. */
  logout(reason?: string): void;
}

interface AuthState {
  session?: Session;
  /** Why the last session ended (a refused key), shown on the login page. */
  notice?: string;
  login(apiKey: string): Promise<void>;
}

const AuthContext = createContext<AuthState | undefined>(undefined);

/**
 * The API key lives in this component's state only: never in localStorage, sessionStorage or a
 * cookie, so closing or reloading the tab forgets it and no script on another page can read it.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session>();
  const [notice, setNotice] = useState<string>();

  const logout = useCallback((reason?: string) => {
    setSession(undefined);
    setNotice(reason);
  }, []);

  const login = useCallback(
    async (apiKey: string) => {
      const key = apiKey.trim();
      if (!key) throw new Error('Enter an API key.');
      // Until the key is accepted, a 401 is the login's own answer, not a session that ended.
      let accepted = false;
      const api = createApi(key, () => {
        if (accepted) logout('The server refused the key (expired or revoked). Log in again.');
      });
      const { data, response } = await api.GET('/api/v1/auth/check');
      if (response.status === 401) throw new Error('The server does not know this key. Check it and try again.');
      if (response.status === 403) throw new Error("This key may not read the inventory (an agent's key?).");
      if (!response.ok || !data) throw new Error(`The server answered ${response.status}; try again later.`);
      accepted = true;
      setNotice(undefined);
      setSession({ api, name: data.name, role: data.role, roles: rolesOf(data.role), logout });
    },
    [logout],
  );

  const value = useMemo(() => ({ session, notice, login }), [session, notice, login]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}

/** The logged-in session (pages render only inside one). */
export function useSession(): Session {
  const { session } = useAuth();
  if (!session) throw new Error('no session');
  return session;
}

/** The roles a key's role includes. */
export function rolesOf(role: string): string[] {
  if (role === 'admin') return ['admin', 'operator', 'viewer'];
  if (role === 'operator') return ['operator', 'viewer'];
  return [role];
}

/** Whether the key may change things (operators and admins; viewers only read). */
export function canWrite(roles: readonly string[]): boolean {
  return roles.includes('operator') || roles.includes('admin');
}
