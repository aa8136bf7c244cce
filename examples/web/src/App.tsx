/** The app's frame (header, navigation, log out) and its routes. */
import type { ReactNode } from 'react';
import { Link, NavLink, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useMutation } from 'urql';
import { graphql } from './gql/index.js';
import { useSession } from './session.js';
import { useViewer } from './viewer.js';
import { CatalogPage } from './pages/Catalog.js';
import { ProductPage } from './pages/Product.js';
import { CartPage } from './pages/Cart.js';
import { CheckoutPage } from './pages/Checkout.js';
import { OrderPage, OrdersPage } from './pages/Orders.js';
import { LogInPage, SignUpPage } from './pages/Account.js';

const LogOutMutation = graphql(`
  mutation LogOut {
    logOut
  }
`);

/** Every page: the header, then the route's page. */
export function App() {
  return (
    <>
      <Header />
      <main>
        <Routes>
          <Route path="/" element={<CatalogPage />} />
          <Route path="/products/:id" element={<ProductPage />} />
          <Route path="/cart" element={<RequireSession>{<CartPage />}</RequireSession>} />
          <Route path="/checkout" element={<RequireSession>{<CheckoutPage />}</RequireSession>} />
          <Route path="/orders" element={<RequireSession>{<OrdersPage />}</RequireSession>} />
          <Route path="/orders/:id" element={<RequireSession>{<OrderPage />}</RequireSession>} />
          <Route path="/signup" element={<SignUpPage />} />
          <Route path="/login" element={<LogInPage />} />
          <Route
            path="*"
            element={
              <p>
                There is no such page. <Link to="/">Back to the catalog</Link>.
              </p>
            }
          />
        </Routes>
      </main>
    </>
  );
}

/** A page for signed-in users: without a session, the log-in page, which comes back here. */
function RequireSession({ children }: { children: ReactNode }) {
  const { token } = useSession();
  const location = useLocation();
  if (!token) return <Navigate replace to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} />;
  return children;
}

/**
 * The shop's name, the navigation with the cart's size, and who is signed in. Log out
 * ends the session on the API (`logOut`: the token is refused from then on), then here.
 */
function Header() {
  const { token, signOut } = useSession();
  const viewer = useViewer();
  const [{ fetching }, logOut] = useMutation(LogOutMutation);
  const navigate = useNavigate();

  const leave = async () => {
    await logOut({});
    signOut(); // whatever the API answered (a token it already refused is over too)
    navigate('/');
  };
  return (
    <header className="top">
      <Link to="/" className="brand">
        Storefront
      </Link>
      <nav aria-label="Main">
        <NavLink to="/" end>
          Catalog
        </NavLink>
        {token && (
          <>
            <NavLink to="/cart">
              Cart{' '}
              <span className="badge" data-testid="cart-count">
                {viewer?.cart.itemCount ?? 0}
              </span>
            </NavLink>
            <NavLink to="/orders">Orders</NavLink>
          </>
        )}
      </nav>
      <div className="account">
        {token ? (
          <>
            <span className="muted" data-testid="viewer-name">
              {viewer ? `${viewer.name}${viewer.role === 'ADMIN' ? ' (admin)' : ''}` : ''}
            </span>
            <button type="button" className="link" disabled={fetching} onClick={() => void leave()}>
              Log out
            </button>
          </>
        ) : (
          <>
            <NavLink to="/login">Log in</NavLink>
            <NavLink to="/signup" className="button">
              Sign up
            </NavLink>
          </>
        )}
      </div>
    </header>
  );
}
