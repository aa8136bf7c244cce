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
    "\n  fragment CartView on Cart {\n    id\n    version\n    itemCount\n    totalCents\n    items {\n      quantity\n      subtotalCents\n      product {\n        ...ProductCard\n      }\n    }\n  }\n": typeof types.CartViewFragmentDoc,
    "\n  fragment ProductCard on Product {\n    id\n    sku\n    name\n    priceCents\n    stock\n    version\n  }\n": typeof types.ProductCardFragmentDoc,
    "\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      ...CartView\n    }\n  }\n": typeof types.AddToCartDocument,
    "\n  query MyCart {\n    me {\n      id\n      cart {\n        ...CartView\n      }\n    }\n  }\n": typeof types.MyCartDocument,
    "\n  mutation Checkout {\n    checkout {\n      id\n      status\n      totalCents\n      createdAt\n      items {\n        productName\n        productSku\n        quantity\n        unitPriceCents\n        subtotalCents\n      }\n    }\n  }\n": typeof types.CheckoutDocument,
    "\n  query Products($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ProductCard\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ProductsDocument,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        email\n        name\n        role\n      }\n    }\n  }\n": typeof types.SignUpDocument,
};
const documents: Documents = {
    "\n  fragment CartView on Cart {\n    id\n    version\n    itemCount\n    totalCents\n    items {\n      quantity\n      subtotalCents\n      product {\n        ...ProductCard\n      }\n    }\n  }\n": types.CartViewFragmentDoc,
    "\n  fragment ProductCard on Product {\n    id\n    sku\n    name\n    priceCents\n    stock\n    version\n  }\n": types.ProductCardFragmentDoc,
    "\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      ...CartView\n    }\n  }\n": types.AddToCartDocument,
    "\n  query MyCart {\n    me {\n      id\n      cart {\n        ...CartView\n      }\n    }\n  }\n": types.MyCartDocument,
    "\n  mutation Checkout {\n    checkout {\n      id\n      status\n      totalCents\n      createdAt\n      items {\n        productName\n        productSku\n        quantity\n        unitPriceCents\n        subtotalCents\n      }\n    }\n  }\n": types.CheckoutDocument,
    "\n  query Products($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ProductCard\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ProductsDocument,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        email\n        name\n        role\n      }\n    }\n  }\n": types.SignUpDocument,
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
export function graphql(source: "\n  fragment CartView on Cart {\n    id\n    version\n    itemCount\n    totalCents\n    items {\n      quantity\n      subtotalCents\n      product {\n        ...ProductCard\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment CartView on Cart {\n    id\n    version\n    itemCount\n    totalCents\n    items {\n      quantity\n      subtotalCents\n      product {\n        ...ProductCard\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProductCard on Product {\n    id\n    sku\n    name\n    priceCents\n    stock\n    version\n  }\n"): (typeof documents)["\n  fragment ProductCard on Product {\n    id\n    sku\n    name\n    priceCents\n    stock\n    version\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      ...CartView\n    }\n  }\n"): (typeof documents)["\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      ...CartView\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyCart {\n    me {\n      id\n      cart {\n        ...CartView\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyCart {\n    me {\n      id\n      cart {\n        ...CartView\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Checkout {\n    checkout {\n      id\n      status\n      totalCents\n      createdAt\n      items {\n        productName\n        productSku\n        quantity\n        unitPriceCents\n        subtotalCents\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Checkout {\n    checkout {\n      id\n      status\n      totalCents\n      createdAt\n      items {\n        productName\n        productSku\n        quantity\n        unitPriceCents\n        subtotalCents\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Products($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ProductCard\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Products($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ProductCard\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        email\n        name\n        role\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      token\n      user {\n        id\n        email\n        name\n        role\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;