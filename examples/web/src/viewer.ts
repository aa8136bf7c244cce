/** Who is signed in, from the API (`me`), for the header and the pages that depend on it. */
import { useEffect } from 'react';
import { useQuery } from 'urql';
import { graphql } from './gql/index.js';
import type { ViewerQuery } from './gql/graphql.js';
import { useSession } from './session.js';

const ViewerQueryDocument = graphql(`
  query Viewer {
    me {
      id
      email
      name
      role
      cart {
        id
        itemCount
      }
    }
  }
`);

/** The signed-in user's profile and cart size. */
export type Viewer = NonNullable<ViewerQuery['me']>;

/**
 * The signed-in user, or null (signed out, or not known yet). A token that the API no
 * longer takes (`me: null`: the account is gone, or the token was logged out elsewhere)
 * ends the session here too.
 */
export function useViewer(): Viewer | null {
  const { token, signOut } = useSession();
  const [{ data, stale, fetching }] = useQuery({ query: ViewerQueryDocument, pause: !token });
  const ended = !!token && !!data && data.me === null && !stale && !fetching;
  useEffect(() => {
    if (ended) signOut('Your session has ended: log in again.');
  }, [ended, signOut]);
  return token ? (data?.me ?? null) : null;
}
