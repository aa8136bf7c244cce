/// <reference types="vite/client" />

/** The app's settings, read by Vite at build time (`VITE_*` from the environment or a .env file). */
interface ImportMetaEnv {
  /** The API's GraphQL endpoint; default http://127.0.0.1:4000/graphql. */
  readonly VITE_API_URL?: string;
  /** `true`: send each operation's hash only, for an API that runs only trusted documents (`TRUSTED_DOCUMENTS`). */
  readonly VITE_TRUSTED_DOCUMENTS?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
