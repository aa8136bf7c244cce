/** The fields each view of a product, a cart and an order shows. */
import { graphql } from './gql/index.js';

export const ProductFieldsFragment = graphql(`
  fragment ProductFields on Product {
    id
    sku
    name
    description
    priceCents
    stock
    version
  }
`);

export const CartFieldsFragment = graphql(`
  fragment CartFields on Cart {
    id
    version
    itemCount
    totalCents
    items {
      quantity
      subtotalCents
      product {
        id
        sku
        name
        priceCents
        stock
      }
    }
  }
`);

export const OrderFieldsFragment = graphql(`
  fragment OrderFields on Order {
    id
    status
    totalCents
    createdAt
    items {
      productName
      productSku
      quantity
      unitPriceCents
      subtotalCents
      product {
        id
      }
    }
  }
`);
