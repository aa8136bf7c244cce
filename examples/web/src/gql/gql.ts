/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation LogOut {\n    logOut\n  }\n": typeof types.LogOutDocument,
    "\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      ...CartFields\n    }\n  }\n": typeof types.AddToCartDocument,
    "\n  fragment ProductFields on Product {\n    id\n    sku\n    name\n    description\n    priceCents\n    stock\n    version\n  }\n": typeof types.ProductFieldsFragmentDoc,
    "\n  fragment CartFields on Cart {\n    id\n    version\n    itemCount\n    totalCents\n    items {\n      quantity\n      subtotalCents\n      product {\n        id\n        sku\n        name\n        priceCents\n        stock\n      }\n    }\n  }\n": typeof types.CartFieldsFragmentDoc,
    "\n  fragment OrderFields on Order {\n    id\n    status\n    totalCents\n    createdAt\n    items {\n      productName\n      productSku\n      quantity\n      unitPriceCents\n      subtotalCents\n      product {\n        id\n      }\n    }\n  }\n": typeof types.OrderFieldsFragmentDoc,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n": typeof types.SignUpDocument,
    "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n": typeof types.LogInDocument,
    "\n  query CartPage {\n    me {\n      id\n      cart {\n        ...CartFields\n      }\n    }\n  }\n": typeof types.CartPageDocument,
    "\n  mutation SetCartItemQuantity($input: SetCartItemQuantityInput!) {\n    setCartItemQuantity(input: $input) {\n      ...CartFields\n    }\n  }\n": typeof types.SetCartItemQuantityDocument,
    "\n  mutation RemoveFromCart($productId: ID!) {\n    removeFromCart(productId: $productId) {\n      ...CartFields\n    }\n  }\n": typeof types.RemoveFromCartDocument,
    "\n  query Catalog($search: String, $sort: ProductSort, $first: Int, $after: String, $last: Int, $before: String) {\n    products(search: $search, sort: $sort, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...ProductFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": typeof types.CatalogDocument,
    "\n  mutation Checkout {\n    checkout {\n      ...OrderFields\n      user {\n        id\n        cart {\n          ...CartFields\n        }\n      }\n    }\n  }\n": typeof types.CheckoutDocument,
    "\n  query OrdersPage($first: Int, $after: String) {\n    me {\n      id\n      orders(first: $first, after: $after) {\n        edges {\n          node {\n            ...OrderFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.OrdersPageDocument,
    "\n  query OrderPage($id: ID!) {\n    order(id: $id) {\n      ...OrderFields\n    }\n  }\n": typeof types.OrderPageDocument,
    "\n  query ProductPage($id: ID!) {\n    product(id: $id) {\n      ...ProductFields\n    }\n  }\n": typeof types.ProductPageDocument,
    "\n  mutation ChangePrice($input: UpdateProductInput!) {\n    updateProduct(input: $input) {\n      ...ProductFields\n    }\n  }\n": typeof types.ChangePriceDocument,
    "\n  query Viewer {\n    me {\n      id\n      email\n      name\n      role\n      cart {\n        id\n        itemCount\n      }\n    }\n  }\n": typeof types.ViewerDocument,
};
const documents: Documents = {
    "\n  mutation LogOut {\n    logOut\n  }\n": types.LogOutDocument,
    "\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      ...CartFields\n    }\n  }\n": types.AddToCartDocument,
    "\n  fragment ProductFields on Product {\n    id\n    sku\n    name\n    description\n    priceCents\n    stock\n    version\n  }\n": types.ProductFieldsFragmentDoc,
    "\n  fragment CartFields on Cart {\n    id\n    version\n    itemCount\n    totalCents\n    items {\n      quantity\n      subtotalCents\n      product {\n        id\n        sku\n        name\n        priceCents\n        stock\n      }\n    }\n  }\n": types.CartFieldsFragmentDoc,
    "\n  fragment OrderFields on Order {\n    id\n    status\n    totalCents\n    createdAt\n    items {\n      productName\n      productSku\n      quantity\n      unitPriceCents\n      subtotalCents\n      product {\n        id\n      }\n    }\n  }\n": types.OrderFieldsFragmentDoc,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n": types.SignUpDocument,
    "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n": types.LogInDocument,
    "\n  query CartPage {\n    me {\n      id\n      cart {\n        ...CartFields\n      }\n    }\n  }\n": types.CartPageDocument,
    "\n  mutation SetCartItemQuantity($input: SetCartItemQuantityInput!) {\n    setCartItemQuantity(input: $input) {\n      ...CartFields\n    }\n  }\n": types.SetCartItemQuantityDocument,
    "\n  mutation RemoveFromCart($productId: ID!) {\n    removeFromCart(productId: $productId) {\n      ...CartFields\n    }\n  }\n": types.RemoveFromCartDocument,
    "\n  query Catalog($search: String, $sort: ProductSort, $first: Int, $after: String, $last: Int, $before: String) {\n    products(search: $search, sort: $sort, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...ProductFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": types.CatalogDocument,
    "\n  mutation Checkout {\n    checkout {\n      ...OrderFields\n      user {\n        id\n        cart {\n          ...CartFields\n        }\n      }\n    }\n  }\n": types.CheckoutDocument,
    "\n  query OrdersPage($first: Int, $after: String) {\n    me {\n      id\n      orders(first: $first, after: $after) {\n        edges {\n          node {\n            ...OrderFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.OrdersPageDocument,
    "\n  query OrderPage($id: ID!) {\n    order(id: $id) {\n      ...OrderFields\n    }\n  }\n": types.OrderPageDocument,
    "\n  query ProductPage($id: ID!) {\n    product(id: $id) {\n      ...ProductFields\n    }\n  }\n": types.ProductPageDocument,
    "\n  mutation ChangePrice($input: UpdateProductInput!) {\n    updateProduct(input: $input) {\n      ...ProductFields\n    }\n  }\n": types.ChangePriceDocument,
    "\n  query Viewer {\n    me {\n      id\n      email\n      name\n      role\n      cart {\n        id\n        itemCount\n      }\n    }\n  }\n": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogOut {\n    logOut\n  }\n"): (typeof documents)["\n  mutation LogOut {\n    logOut\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      ...CartFields\n    }\n  }\n"): (typeof documents)["\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      ...CartFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProductFields on Product {\n    id\n    sku\n    name\n    description\n    priceCents\n    stock\n    version\n  }\n"): (typeof documents)["\n  fragment ProductFields on Product {\n    id\n    sku\n    name\n    description\n    priceCents\n    stock\n    version\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CartFields on Cart {\n    id\n    version\n    itemCount\n    totalCents\n    items {\n      quantity\n      subtotalCents\n      product {\n        id\n        sku\n        name\n        priceCents\n        stock\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment CartFields on Cart {\n    id\n    version\n    itemCount\n    totalCents\n    items {\n      quantity\n      subtotalCents\n      product {\n        id\n        sku\n        name\n        priceCents\n        stock\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OrderFields on Order {\n    id\n    status\n    totalCents\n    createdAt\n    items {\n      productName\n      productSku\n      quantity\n      unitPriceCents\n      subtotalCents\n      product {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment OrderFields on Order {\n    id\n    status\n    totalCents\n    createdAt\n    items {\n      productName\n      productSku\n      quantity\n      unitPriceCents\n      subtotalCents\n      product {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CartPage {\n    me {\n      id\n      cart {\n        ...CartFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query CartPage {\n    me {\n      id\n      cart {\n        ...CartFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetCartItemQuantity($input: SetCartItemQuantityInput!) {\n    setCartItemQuantity(input: $input) {\n      ...CartFields\n    }\n  }\n"): (typeof documents)["\n  mutation SetCartItemQuantity($input: SetCartItemQuantityInput!) {\n    setCartItemQuantity(input: $input) {\n      ...CartFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveFromCart($productId: ID!) {\n    removeFromCart(productId: $productId) {\n      ...CartFields\n    }\n  }\n"): (typeof documents)["\n  mutation RemoveFromCart($productId: ID!) {\n    removeFromCart(productId: $productId) {\n      ...CartFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Catalog($search: String, $sort: ProductSort, $first: Int, $after: String, $last: Int, $before: String) {\n    products(search: $search, sort: $sort, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...ProductFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Catalog($search: String, $sort: ProductSort, $first: Int, $after: String, $last: Int, $before: String) {\n    products(search: $search, sort: $sort, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...ProductFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Checkout {\n    checkout {\n      ...OrderFields\n      user {\n        id\n        cart {\n          ...CartFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Checkout {\n    checkout {\n      ...OrderFields\n      user {\n        id\n        cart {\n          ...CartFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OrdersPage($first: Int, $after: String) {\n    me {\n      id\n      orders(first: $first, after: $after) {\n        edges {\n          node {\n            ...OrderFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query OrdersPage($first: Int, $after: String) {\n    me {\n      id\n      orders(first: $first, after: $after) {\n        edges {\n          node {\n            ...OrderFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OrderPage($id: ID!) {\n    order(id: $id) {\n      ...OrderFields\n    }\n  }\n"): (typeof documents)["\n  query OrderPage($id: ID!) {\n    order(id: $id) {\n      ...OrderFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProductPage($id: ID!) {\n    product(id: $id) {\n      ...ProductFields\n    }\n  }\n"): (typeof documents)["\n  query ProductPage($id: ID!) {\n    product(id: $id) {\n      ...ProductFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangePrice($input: UpdateProductInput!) {\n    updateProduct(input: $input) {\n      ...ProductFields\n    }\n  }\n"): (typeof documents)["\n  mutation ChangePrice($input: UpdateProductInput!) {\n    updateProduct(input: $input) {\n      ...ProductFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    me {\n      id\n      email\n      name\n      role\n      cart {\n        id\n        itemCount\n      }\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    me {\n      id\n      email\n      name\n      role\n      cart {\n        id\n        itemCount\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;