import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { UserRecord, ProductRecord, CartRecord, CartItemRecord, OrderRecord, OrderItemRecord, ProductConnectionRecord } from '../db/records.js';
import type { GraphQLContext } from '../graphql/context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An instant in time, as an ISO 8601 string in UTC (e.g. "2026-11-24T09:30:00.000Z"). */
  DateTime: { input: string; output: string | Date; }
  /**
   * An integer from -(2^53 - 1) to 2^53 - 1: exact in JSON and JavaScript, wider than Int.
   * Used for sums of money, which can exceed Int's 32 bits.
   */
  SafeInt: { input: number; output: number; }
};

export type AddToCartInput = {
  productId: Scalars['ID']['input'];
  /** Units to add; at least 1. */
  quantity?: InputMaybe<Scalars['Int']['input']>;
};

export type AdjustStockInput = {
  /** Units to add (positive) or remove (negative); stock never goes below 0. */
  delta: Scalars['Int']['input'];
  productId: Scalars['ID']['input'];
};

/**
 * A bearer token and the user it signs in. Send it as `Authorization: Bearer <token>`.
 * The token names one session of the user: it works until that session ends (logOut,
 * logOutEverywhere, changePassword, or its expiry, JWT_TTL_SECONDS after it started: 7 days
 * by default), and is refused on every instance from the next request after that.
 */
export type AuthPayload = {
  __typename?: 'AuthPayload';
  token: Scalars['String']['output'];
  user: User;
};

/** A user's shopping cart, cached as one aggregate with its items. */
export type Cart = Node & {
  __typename?: 'Cart';
  id: Scalars['ID']['output'];
  /** Number of units in the cart (sum of quantities). */
  itemCount: Scalars['Int']['output'];
  items: Array<CartItem>;
  /** Sum of quantity x current price of every item, in cents. */
  totalCents: Scalars['SafeInt']['output'];
  updatedAt: Scalars['DateTime']['output'];
  version: Scalars['Int']['output'];
};

export type CartItem = {
  __typename?: 'CartItem';
  product: Product;
  /** Always at least 1. */
  quantity: Scalars['Int']['output'];
  /** quantity x the product's current price, in cents. */
  subtotalCents: Scalars['SafeInt']['output'];
};

export type ChangePasswordInput = {
  currentPassword: Scalars['String']['input'];
  /** At least 8 characters. */
  newPassword: Scalars['String']['input'];
};

export type CreateProductInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  priceCents: Scalars['Int']['input'];
  sku: Scalars['String']['input'];
  stock?: InputMaybe<Scalars['Int']['input']>;
};

export type DeleteProductPayload = {
  __typename?: 'DeleteProductPayload';
  deletedProductId: Scalars['ID']['output'];
};

export type DeleteUserPayload = {
  __typename?: 'DeleteUserPayload';
  deletedUserId: Scalars['ID']['output'];
};

/**
 * The values of `errors[].extensions.code`: every error this API answers with carries one
 * (an error's `message` says what was wrong, for people; the code is for programs). Each value
 * says when it happens, the HTTP status of the answer, and whether sending the same request
 * again can succeed. `extensions.retryable: true` marks the errors whose retry needs no change.
 */
export type ErrorCode =
  /**
   * The HTTP request itself is malformed: not JSON, not POST or GET, a mutation sent as GET
   * (405), a content type other than JSON (415), refused by CSRF prevention (a GET without an
   * `apollo-require-preflight` header), a hash that does not match its query. HTTP 400 (or as
   * said). Nothing ran; do not retry as it is.
   */
  | 'BAD_REQUEST'
  /**
   * An argument or a variable is wrong (a value out of range, an email that is not one, a
   * wrong currentPassword, a string holding U+0000, a variable of the wrong type): the message
   * says which. HTTP 200 from a field, 400 for variables. Do not retry: fix the input.
   */
  | 'BAD_USER_INPUT'
  /**
   * Redis could not take part in a write (CACHE_WRITE_POLICY=fail): nothing was committed.
   * HTTP 200, `extensions.retryable: true`: send the same request again shortly.
   */
  | 'CACHE_UNAVAILABLE'
  /**
   * The change would break a rule about other data: an email or SKU already taken, a user who
   * has orders. HTTP 200. Do not retry as it is.
   */
  | 'CONFLICT'
  /** Signed in, but not allowed (an admin-only mutation, another user's order). HTTP 200. Do not retry. */
  | 'FORBIDDEN'
  /**
   * The document is not valid GraphQL, or has more tokens than the server's limit (QUERY_MAX_TOKENS).
   * HTTP 400. Nothing ran; do not retry.
   */
  | 'GRAPHQL_PARSE_FAILED'
  /**
   * The document does not fit the schema, or is over a query limit (depth, aliases, directives, cost);
   * introspection in production. HTTP 400. Nothing ran; do not retry.
   */
  | 'GRAPHQL_VALIDATION_FAILED'
  /**
   * Something failed on the server's side; the message says no more (the server logs it, under the
   * answer's `x-request-id`). HTTP 200 from a field, 500 otherwise. A retry may succeed; report it if
   * it does not.
   */
  | 'INTERNAL_SERVER_ERROR'
  /**
   * A mutation's ID names nothing (or a product not in your cart), or the HTTP path is not
   * /graphql (HTTP 404); queries answer null for an ID that names nothing. HTTP 200 from a field.
   * Do not retry.
   */
  | 'NOT_FOUND'
  /**
   * `operationName` names no operation of the document, or the document has several and none is
   * named. HTTP 400. Nothing ran; do not retry.
   */
  | 'OPERATION_RESOLUTION_FAILURE'
  /**
   * Not enough stock for an addToCart, a quantity, a checkout or an adjustStock: the message
   * names the product. HTTP 200. Nothing changed; retry only with a smaller quantity.
   */
  | 'OUT_OF_STOCK'
  /** The request body is larger than the server's limit (BODY_LIMIT_BYTES). HTTP 413. Nothing ran; do not retry as it is. */
  | 'PAYLOAD_TOO_LARGE'
  /**
   * A `documentId` or persisted-query hash (`extensions.persistedQuery.sha256Hash`) names none of
   * the server's trusted documents (TRUSTED_DOCUMENTS), or the server has none. HTTP 400. Nothing
   * ran; do not retry: the app was built against other documents.
   */
  | 'PERSISTED_DOCUMENT_NOT_FOUND'
  /**
   * Automatic persisted queries (servers without TRUSTED_DOCUMENTS): the server does not know this
   * hash yet. HTTP 200. Retry at once with the full `query` and the same hash (APQ clients do this
   * by themselves).
   */
  | 'PERSISTED_QUERY_NOT_FOUND'
  /**
   * The operation ran longer than the server's limit (REQUEST_TIMEOUT_MS): the fields not yet
   * resolved answer this, and no resolver starts after it. HTTP 200. Retry a query later or ask
   * for less; a mutation in flight may still have completed: read before sending it again.
   */
  | 'TIMEOUT'
  /**
   * A rate limit (logIn, signUp, email changes) is used up. HTTP 429 with `Retry-After`; retry
   * after `extensions.retryAfterSeconds`, not before.
   */
  | 'TOO_MANY_REQUESTS'
  /**
   * The write collided with concurrent writes on every attempt the server made (`extensions.reason`
   * says how): nothing was changed. HTTP 200, `extensions.retryable: true`: send the same request again.
   */
  | 'TRANSACTION_CONFLICT'
  /**
   * The server runs only its trusted documents (TRUSTED_DOCUMENTS) and the `query` sent is none of
   * them. HTTP 400. Nothing ran; do not retry: send the documentId of a document built into the app.
   */
  | 'TRUSTED_DOCUMENT_REQUIRED'
  /**
   * No usable token: none sent for a field that needs a user, or `extensions.reason` says why
   * the one sent signs nobody in (`TOKEN_EXPIRED`, `TOKEN_INVALID`, `SESSION_ENDED`: logged out,
   * or the password changed); also a wrong email or password at logIn. HTTP 200. Retry after
   * signing in again (logIn).
   */
  | 'UNAUTHENTICATED';

export type LogInInput = {
  email: Scalars['String']['input'];
  password: Scalars['String']['input'];
};

export type Mutation = {
  __typename?: 'Mutation';
  addToCart: Cart;
  /** Admin only. Fails with OUT_OF_STOCK if stock would go below 0. */
  adjustStock: Product;
  /**
   * Changes the password; every other session of the user ends; returns a fresh token for this
   * one (the session gets a new id, so the token this request sent is refused from then on too:
   * use the returned one). BAD_USER_INPUT if currentPassword is wrong or newPassword too short;
   * wrong currentPassword attempts count against the logIn rate limits.
   */
  changePassword: AuthPayload;
  /**
   * Places an order for everything in the cart, in one transaction: checks and
   * decrements stock for every item, creates the order and empties the cart. If
   * any item is short, nothing changes and the error (OUT_OF_STOCK) names it.
   */
  checkout: Order;
  /** Admin only. */
  createProduct: Product;
  /** Admin only. Removes the product from every cart; past orders keep their copy of it. */
  deleteProduct: DeleteProductPayload;
  /**
   * Admin only. Deletes a user's account and cart; the user's tokens are anonymous
   * from the next request on, on every instance. CONFLICT while the user has orders
   * (order history is kept), BAD_USER_INPUT for your own account, NOT_FOUND if there
   * is no such user.
   */
  deleteUser: DeleteUserPayload;
  /** Starts a new session of the account (a user holds at most 50: beyond that the oldest ends). */
  logIn: AuthPayload;
  /** Ends the session of the token this request carries: that token is refused from the next request on, on every instance. UNAUTHENTICATED without a valid token. */
  logOut: Scalars['Boolean']['output'];
  /** Ends every session of the signed-in user, this one included. */
  logOutEverywhere: Scalars['Boolean']['output'];
  removeFromCart: Cart;
  setCartItemQuantity: Cart;
  /** Creates a customer account and signs it in (its first session). */
  signUp: AuthPayload;
  /** Admin only. */
  updateProduct: Product;
  /** Changes the signed-in user's profile. */
  updateProfile: User;
};


export type MutationAddToCartArgs = {
  input: AddToCartInput;
};


export type MutationAdjustStockArgs = {
  input: AdjustStockInput;
};


export type MutationChangePasswordArgs = {
  input: ChangePasswordInput;
};


export type MutationCreateProductArgs = {
  input: CreateProductInput;
};


export type MutationDeleteProductArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteUserArgs = {
  id: Scalars['ID']['input'];
};


export type MutationLogInArgs = {
  input: LogInInput;
};


export type MutationRemoveFromCartArgs = {
  productId: Scalars['ID']['input'];
};


export type MutationSetCartItemQuantityArgs = {
  input: SetCartItemQuantityInput;
};


export type MutationSignUpArgs = {
  input: SignUpInput;
};


export type MutationUpdateProductArgs = {
  input: UpdateProductInput;
};


export type MutationUpdateProfileArgs = {
  input: UpdateProfileInput;
};

/** An object with a global ID. Global IDs are opaque: pass them back as they are. */
export type Node = {
  id: Scalars['ID']['output'];
};

export type Order = Node & {
  __typename?: 'Order';
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  items: Array<OrderItem>;
  status: OrderStatus;
  totalCents: Scalars['SafeInt']['output'];
  user: User;
};

export type OrderConnection = {
  __typename?: 'OrderConnection';
  edges: Array<OrderEdge>;
  pageInfo: PageInfo;
};

export type OrderEdge = {
  __typename?: 'OrderEdge';
  cursor: Scalars['String']['output'];
  node: Order;
};

/** A line of an order, with the product's name, SKU and price as they were at checkout. */
export type OrderItem = {
  __typename?: 'OrderItem';
  /** The product, or null if it has been deleted since. */
  product?: Maybe<Product>;
  productName: Scalars['String']['output'];
  productSku: Scalars['String']['output'];
  quantity: Scalars['Int']['output'];
  subtotalCents: Scalars['SafeInt']['output'];
  unitPriceCents: Scalars['Int']['output'];
};

export type OrderStatus =
  | 'CANCELLED'
  | 'PLACED';

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  hasPreviousPage: Scalars['Boolean']['output'];
  startCursor?: Maybe<Scalars['String']['output']>;
};

export type Product = Node & {
  __typename?: 'Product';
  createdAt: Scalars['DateTime']['output'];
  description: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  /** Price in cents of the shop's currency. */
  priceCents: Scalars['Int']['output'];
  sku: Scalars['String']['output'];
  /** Units in stock; never below 0. */
  stock: Scalars['Int']['output'];
  updatedAt: Scalars['DateTime']['output'];
  version: Scalars['Int']['output'];
};

export type ProductConnection = {
  __typename?: 'ProductConnection';
  edges: Array<ProductEdge>;
  pageInfo: PageInfo;
  /** Products matching `search`, across all pages. */
  totalCount: Scalars['Int']['output'];
};

export type ProductEdge = {
  __typename?: 'ProductEdge';
  cursor: Scalars['String']['output'];
  node: Product;
};

/**
 * The orders of `products`. Equal prices or names are in creation order (newest first for
 * PRICE_DESC), so every order is total and pages never skip or repeat a product.
 */
export type ProductSort =
  /** Creation order, oldest first (the default; what `products` did before). */
  | 'CREATED'
  /** By name, A to Z. */
  | 'NAME'
  /** Newest first. */
  | 'NEWEST'
  /** Cheapest first. */
  | 'PRICE'
  /** Most expensive first. */
  | 'PRICE_DESC';

export type Query = {
  __typename?: 'Query';
  /**
   * The signed-in user, or null when the request carries no token, an expired or invalid one,
   * or one whose session has ended (logged out, password changed, account deleted). Never an
   * error: the fields that need a user answer UNAUTHENTICATED, saying which.
   */
  me?: Maybe<User>;
  /** Fetches any object by its global ID; null if it does not exist or is not visible to you. */
  node?: Maybe<Node>;
  /** Fetches objects by global ID, one result per ID, in order. */
  nodes: Array<Maybe<Node>>;
  /** An order by ID: your own, or anyone's if you are an admin. */
  order?: Maybe<Order>;
  product?: Maybe<Product>;
  /**
   * The catalog, searched and sorted, one page at a time: `first` (with `after`) pages
   * forwards, `last` (with `before`) backwards; not both `first` and `last`. A cursor only
   * continues the listing it came from (the same `sort` and `search`): BAD_USER_INPUT otherwise.
   */
  products: ProductConnection;
  /** A user by ID: yourself, or anyone if you are an admin. */
  user?: Maybe<User>;
};


export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};


export type QueryOrderArgs = {
  id: Scalars['ID']['input'];
};


export type QueryProductArgs = {
  id: Scalars['ID']['input'];
};


export type QueryProductsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
  sort?: InputMaybe<ProductSort>;
};


export type QueryUserArgs = {
  id: Scalars['ID']['input'];
};

export type Role =
  | 'ADMIN'
  | 'CUSTOMER';

export type SetCartItemQuantityInput = {
  productId: Scalars['ID']['input'];
  /** The new quantity; at least 1 (use removeFromCart to remove an item). */
  quantity: Scalars['Int']['input'];
};

export type SignUpInput = {
  email: Scalars['String']['input'];
  name: Scalars['String']['input'];
  /** At least 8 characters. */
  password: Scalars['String']['input'];
};

export type UpdateProductInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  name?: InputMaybe<Scalars['String']['input']>;
  priceCents?: InputMaybe<Scalars['Int']['input']>;
  sku?: InputMaybe<Scalars['String']['input']>;
};

export type UpdateProfileInput = {
  email?: InputMaybe<Scalars['String']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
};

/** A person with an account. Profile fields are visible to the user themself and to admins. */
export type User = Node & {
  __typename?: 'User';
  /** The user's shopping cart. */
  cart: Cart;
  createdAt: Scalars['DateTime']['output'];
  email: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  /** The user's orders, newest first. */
  orders: OrderConnection;
  role: Role;
  updatedAt: Scalars['DateTime']['output'];
  /** Incremented on every change; cache entries are compare-and-set on it. */
  version: Scalars['Int']['output'];
};


/** A person with an account. Profile fields are visible to the user themself and to admins. */
export type UserOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;




/** Mapping of interface types */
export type ResolversInterfaceTypes<_RefType extends Record<string, unknown>> = {
  Node:
    | ( CartRecord )
    | ( OrderRecord )
    | ( ProductRecord )
    | ( UserRecord )
  ;
};

/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  AddToCartInput: AddToCartInput;
  AdjustStockInput: AdjustStockInput;
  AuthPayload: ResolverTypeWrapper<Omit<AuthPayload, 'user'> & { user: ResolversTypes['User'] }>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Cart: ResolverTypeWrapper<CartRecord>;
  CartItem: ResolverTypeWrapper<CartItemRecord>;
  ChangePasswordInput: ChangePasswordInput;
  CreateProductInput: CreateProductInput;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  DeleteProductPayload: ResolverTypeWrapper<DeleteProductPayload>;
  DeleteUserPayload: ResolverTypeWrapper<DeleteUserPayload>;
  ErrorCode: ErrorCode;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  LogInInput: LogInInput;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Node: ResolverTypeWrapper<ResolversInterfaceTypes<ResolversTypes>['Node']>;
  Order: ResolverTypeWrapper<OrderRecord>;
  OrderConnection: ResolverTypeWrapper<Omit<OrderConnection, 'edges'> & { edges: Array<ResolversTypes['OrderEdge']> }>;
  OrderEdge: ResolverTypeWrapper<Omit<OrderEdge, 'node'> & { node: ResolversTypes['Order'] }>;
  OrderItem: ResolverTypeWrapper<OrderItemRecord>;
  OrderStatus: OrderStatus;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Product: ResolverTypeWrapper<ProductRecord>;
  ProductConnection: ResolverTypeWrapper<ProductConnectionRecord>;
  ProductEdge: ResolverTypeWrapper<Omit<ProductEdge, 'node'> & { node: ResolversTypes['Product'] }>;
  ProductSort: ProductSort;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Role: Role;
  SafeInt: ResolverTypeWrapper<Scalars['SafeInt']['output']>;
  SetCartItemQuantityInput: SetCartItemQuantityInput;
  SignUpInput: SignUpInput;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  UpdateProductInput: UpdateProductInput;
  UpdateProfileInput: UpdateProfileInput;
  User: ResolverTypeWrapper<UserRecord>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  AddToCartInput: AddToCartInput;
  AdjustStockInput: AdjustStockInput;
  AuthPayload: Omit<AuthPayload, 'user'> & { user: ResolversParentTypes['User'] };
  Boolean: Scalars['Boolean']['output'];
  Cart: CartRecord;
  CartItem: CartItemRecord;
  ChangePasswordInput: ChangePasswordInput;
  CreateProductInput: CreateProductInput;
  DateTime: Scalars['DateTime']['output'];
  DeleteProductPayload: DeleteProductPayload;
  DeleteUserPayload: DeleteUserPayload;
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  LogInInput: LogInInput;
  Mutation: Record<PropertyKey, never>;
  Node: ResolversInterfaceTypes<ResolversParentTypes>['Node'];
  Order: OrderRecord;
  OrderConnection: Omit<OrderConnection, 'edges'> & { edges: Array<ResolversParentTypes['OrderEdge']> };
  OrderEdge: Omit<OrderEdge, 'node'> & { node: ResolversParentTypes['Order'] };
  OrderItem: OrderItemRecord;
  PageInfo: PageInfo;
  Product: ProductRecord;
  ProductConnection: ProductConnectionRecord;
  ProductEdge: Omit<ProductEdge, 'node'> & { node: ResolversParentTypes['Product'] };
  Query: Record<PropertyKey, never>;
  SafeInt: Scalars['SafeInt']['output'];
  SetCartItemQuantityInput: SetCartItemQuantityInput;
  SignUpInput: SignUpInput;
  String: Scalars['String']['output'];
  UpdateProductInput: UpdateProductInput;
  UpdateProfileInput: UpdateProfileInput;
  User: UserRecord;
};

export type AuthPayloadResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuthPayload'] = ResolversParentTypes['AuthPayload']> = {
  token?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
};

export type CartResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Cart'] = ResolversParentTypes['Cart']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  itemCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  items?: Resolver<Array<ResolversTypes['CartItem']>, ParentType, ContextType>;
  totalCents?: Resolver<ResolversTypes['SafeInt'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type CartItemResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['CartItem'] = ResolversParentTypes['CartItem']> = {
  product?: Resolver<ResolversTypes['Product'], ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  subtotalCents?: Resolver<ResolversTypes['SafeInt'], ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type DeleteProductPayloadResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['DeleteProductPayload'] = ResolversParentTypes['DeleteProductPayload']> = {
  deletedProductId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type DeleteUserPayloadResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['DeleteUserPayload'] = ResolversParentTypes['DeleteUserPayload']> = {
  deletedUserId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  addToCart?: Resolver<ResolversTypes['Cart'], ParentType, ContextType, RequireFields<MutationAddToCartArgs, 'input'>>;
  adjustStock?: Resolver<ResolversTypes['Product'], ParentType, ContextType, RequireFields<MutationAdjustStockArgs, 'input'>>;
  changePassword?: Resolver<ResolversTypes['AuthPayload'], ParentType, ContextType, RequireFields<MutationChangePasswordArgs, 'input'>>;
  checkout?: Resolver<ResolversTypes['Order'], ParentType, ContextType>;
  createProduct?: Resolver<ResolversTypes['Product'], ParentType, ContextType, RequireFields<MutationCreateProductArgs, 'input'>>;
  deleteProduct?: Resolver<ResolversTypes['DeleteProductPayload'], ParentType, ContextType, RequireFields<MutationDeleteProductArgs, 'id'>>;
  deleteUser?: Resolver<ResolversTypes['DeleteUserPayload'], ParentType, ContextType, RequireFields<MutationDeleteUserArgs, 'id'>>;
  logIn?: Resolver<ResolversTypes['AuthPayload'], ParentType, ContextType, RequireFields<MutationLogInArgs, 'input'>>;
  logOut?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  logOutEverywhere?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  removeFromCart?: Resolver<ResolversTypes['Cart'], ParentType, ContextType, RequireFields<MutationRemoveFromCartArgs, 'productId'>>;
  setCartItemQuantity?: Resolver<ResolversTypes['Cart'], ParentType, ContextType, RequireFields<MutationSetCartItemQuantityArgs, 'input'>>;
  signUp?: Resolver<ResolversTypes['AuthPayload'], ParentType, ContextType, RequireFields<MutationSignUpArgs, 'input'>>;
  updateProduct?: Resolver<ResolversTypes['Product'], ParentType, ContextType, RequireFields<MutationUpdateProductArgs, 'input'>>;
  updateProfile?: Resolver<ResolversTypes['User'], ParentType, ContextType, RequireFields<MutationUpdateProfileArgs, 'input'>>;
};

export type NodeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Node'] = ResolversParentTypes['Node']> = {
  __resolveType: TypeResolveFn<'Cart' | 'Order' | 'Product' | 'User', ParentType, ContextType>;
};

export type OrderResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  items?: Resolver<Array<ResolversTypes['OrderItem']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['OrderStatus'], ParentType, ContextType>;
  totalCents?: Resolver<ResolversTypes['SafeInt'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type OrderConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['OrderConnection'] = ResolversParentTypes['OrderConnection']> = {
  edges?: Resolver<Array<ResolversTypes['OrderEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type OrderEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['OrderEdge'] = ResolversParentTypes['OrderEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Order'], ParentType, ContextType>;
};

export type OrderItemResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['OrderItem'] = ResolversParentTypes['OrderItem']> = {
  product?: Resolver<Maybe<ResolversTypes['Product']>, ParentType, ContextType>;
  productName?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  productSku?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  subtotalCents?: Resolver<ResolversTypes['SafeInt'], ParentType, ContextType>;
  unitPriceCents?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type PageInfoResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  hasPreviousPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  startCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type ProductResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Product'] = ResolversParentTypes['Product']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  description?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  priceCents?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  sku?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  stock?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type ProductConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ProductConnection'] = ResolversParentTypes['ProductConnection']> = {
  edges?: Resolver<Array<ResolversTypes['ProductEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type ProductEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ProductEdge'] = ResolversParentTypes['ProductEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Product'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  me?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
  node?: Resolver<Maybe<ResolversTypes['Node']>, ParentType, ContextType, RequireFields<QueryNodeArgs, 'id'>>;
  nodes?: Resolver<Array<Maybe<ResolversTypes['Node']>>, ParentType, ContextType, RequireFields<QueryNodesArgs, 'ids'>>;
  order?: Resolver<Maybe<ResolversTypes['Order']>, ParentType, ContextType, RequireFields<QueryOrderArgs, 'id'>>;
  product?: Resolver<Maybe<ResolversTypes['Product']>, ParentType, ContextType, RequireFields<QueryProductArgs, 'id'>>;
  products?: Resolver<ResolversTypes['ProductConnection'], ParentType, ContextType, RequireFields<QueryProductsArgs, 'sort'>>;
  user?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType, RequireFields<QueryUserArgs, 'id'>>;
};

export interface SafeIntScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['SafeInt'], any> {
  name: 'SafeInt';
}

export type UserResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User']> = {
  cart?: Resolver<ResolversTypes['Cart'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  orders?: Resolver<ResolversTypes['OrderConnection'], ParentType, ContextType, RequireFields<UserOrdersArgs, 'first'>>;
  role?: Resolver<ResolversTypes['Role'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type Resolvers<ContextType = GraphQLContext> = {
  AuthPayload?: AuthPayloadResolvers<ContextType>;
  Cart?: CartResolvers<ContextType>;
  CartItem?: CartItemResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  DeleteProductPayload?: DeleteProductPayloadResolvers<ContextType>;
  DeleteUserPayload?: DeleteUserPayloadResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Node?: NodeResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  OrderConnection?: OrderConnectionResolvers<ContextType>;
  OrderEdge?: OrderEdgeResolvers<ContextType>;
  OrderItem?: OrderItemResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Product?: ProductResolvers<ContextType>;
  ProductConnection?: ProductConnectionResolvers<ContextType>;
  ProductEdge?: ProductEdgeResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  SafeInt?: GraphQLScalarType;
  User?: UserResolvers<ContextType>;
};

