import { graphql } from '../gql/index.js';

/** Creates a customer account; `signUp.token` is the bearer token for the next requests. */
export const SignUpMutation = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        id
        email
        name
        role
      }
    }
  }
`);
