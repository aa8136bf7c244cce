/**
 * The session: the bearer token (in localStorage, so it survives a reload), the urql client
 * that sends it, and a notice for the log-in page when the API ended the session.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { Provider } from 'urql';
import { API_URL, TRUSTED_DOCUMENTS, createApiClient } from './client.js';

const TOKEN_KEY = 'storefront.token';

/** What useSession() gives. */
export interface Session {
  token: string | null;
  /** Keeps the token of a logIn or signUp. */
  signIn(token: string): void;
  /** Forgets the token (after logOut, or when the API refused it); `notice` is shown on the log-in page. */
  signOut(notice?: string): void;
  /** Why the last session ended, if the API ended it. */
  notice: string | null;
}

const SessionContext = createContext<Session | null>(null);

/** Provides the session and a urql client for it. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => localStorage.getItem(TOKEN_KEY));
  const [notice, setNotice] = useState<string | null>(null);

  const signIn = useCallback((next: string) => {
    localStorage.setItem(TOKEN_KEY, next);
    setNotice(null);
    setToken(next);
  }, []);
  const signOut = useCallback((why?: string) => {
    localStorage.removeItem(TOKEN_KEY);
    setNotice(why ?? null);
    setToken(null);
  }, []);

  const client = useMemo(
    () =>
      createApiClient({
        url: API_URL,
        token,
        trustedDocuments: TRUSTED_DOCUMENTS,
        onUnauthenticated: () => signOut('Your session has ended: log in again.'),
      }),
    [token, signOut],
  );
  const session = useMemo(() => ({ token, signIn, signOut, notice }), [token, signIn, signOut, notice]);
  return (
    <SessionContext.Provider value={session}>
      <Provider value={client}>{children}</Provider>
    </SessionContext.Provider>
  );
}

/** The current session; only inside SessionProvider. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() outside <SessionProvider>');
  return session;
}
