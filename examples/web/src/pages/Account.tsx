/** Sign up and log in: both keep the token the API answers with and go where the shopper was going. */
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useMutation } from 'urql';
import { graphql } from '../gql/index.js';
import { useSession } from '../session.js';
import { ErrorMessage } from '../ui.js';

const SignUpMutation = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        id
        name
      }
    }
  }
`);

const LogInMutation = graphql(`
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) {
      token
      user {
        id
        name
      }
    }
  }
`);

/** Where to go after signing in: `?next=` when it is a path of this app, else the catalog. */
function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get('next') ?? '/';
  // A path of this app only: not `//host` nor `/\host` (browsers read both as another origin).
  return /^\/(?![/\\])/.test(next) ? next : '/';
}

/** The page at /signup. The API checks the email and the password's length and says what is wrong. */
export function SignUpPage() {
  const [form, setForm] = useState({ name: '', email: '', password: '' });
  const [{ fetching, error }, signUp] = useMutation(SignUpMutation);
  const { signIn } = useSession();
  const navigate = useNavigate();
  const next = useNext();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await signUp({ input: form });
    if (result.data) {
      signIn(result.data.signUp.token);
      navigate(next);
    }
  };
  return (
    <section className="narrow">
      <h1>Create an account</h1>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <label>
          Name
          <input required autoComplete="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </label>
        <label>
          Email
          <input required type="email" autoComplete="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </label>
        <label>
          Password <span className="muted small">(at least 8 characters)</span>
          <input required type="password" autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
        </label>
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={fetching}>
          Sign up
        </button>
      </form>
      <p>
        Have an account? <Link to={`/login?next=${encodeURIComponent(next)}`}>Log in</Link>
      </p>
    </section>
  );
}

/** The page at /login; says why when the API ended the previous session. */
export function LogInPage() {
  const [form, setForm] = useState({ email: '', password: '' });
  const [{ fetching, error }, logIn] = useMutation(LogInMutation);
  const { signIn, notice } = useSession();
  const navigate = useNavigate();
  const next = useNext();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await logIn({ input: form });
    if (result.data) {
      signIn(result.data.logIn.token);
      navigate(next);
    }
  };
  return (
    <section className="narrow">
      <h1>Log in</h1>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <label>
          Email
          <input required type="email" autoComplete="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </label>
        <label>
          Password
          <input
            required
            type="password"
            autoComplete="current-password"
            value={form.password}
            onChange={(e) => setForm({ ...form, password: e.target.value })}
          />
        </label>
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={fetching}>
          Log in
        </button>
      </form>
      <p>
        New here? <Link to={`/signup?next=${encodeURIComponent(next)}`}>Create an account</Link>
      </p>
    </section>
  );
}
