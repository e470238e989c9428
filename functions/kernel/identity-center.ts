/**
 * The roles IAM Identity Center creates in an account for each provisioned permission set: how to
 * recognise one and which permission set it stands for. Pure.
 *
 * Identity Center names the role `AWSReservedSSO_<PermissionSetName>_<suffix>` and creates it under
 * the path `/aws-reserved/sso.amazonaws.com/` or, for instances enabled in a Region since its
 * regional roles, `/aws-reserved/sso.amazonaws.com/<region>/` (IAM Identity Center User Guide,
 * "Referencing permission sets in resource policies, Amazon EKS, and AWS KMS": "the role name
 * AWSReservedSSO_<permission set name>_<unique suffix>"; the authenticator's
 * docs/sso_role_matcher.md shows the regional path). Customers cannot tag these roles ("Tags can
 * only be applied to permission sets and cannot be applied to corresponding roles that IAM
 * Identity Center creates", Identity Center API reference, TagResource), and re-provisioning a
 * permission set re-creates its role with a new unique ID.
 *
 * The suffix: Identity Center's own examples show 16 hexadecimal characters
 * (`AWSReservedSSO_AWSAdministratorAccess_1234567890abcdef`), but no document fixes its length or
 * alphabet; the name is therefore split at its LAST underscore, and the suffix must be non-empty
 * and alphanumeric. A permission set name may contain `_` (its pattern is `[\w+=,.@-]+`,
 * Identity Center API reference, CreatePermissionSet), so `AWSReservedSSO_Data_Readers_0a1b…` is
 * permission set `Data_Readers`.
 */

/** Every path Identity Center creates its roles under starts with this. */
export const IDENTITY_CENTER_PATH_PREFIX = '/aws-reserved/sso.amazonaws.com/';

/** The `eks-access-pilot/source` of an entry granted because of a permission set's tags. */
export const IDENTITY_CENTER_SOURCE = 'identity-center';

/**
 * The username an Identity Center role's entry gets by default: the session name is the user's
 * Identity Center user name, so the Kubernetes audit log names the person. An access entry
 * username needs a ":" before `{{SessionName}}` (EKS User Guide, "Create access entries").
 */
export const DEFAULT_IDENTITY_CENTER_USERNAME = 'sso:{{SessionName}}';

const PATH = /^\/aws-reserved\/sso\.amazonaws\.com\/(?:[a-z]{2}(?:-[a-z]+)+-\d+\/)?$/;
const NAME = /^AWSReservedSSO_([\w+=,.@-]+)_([A-Za-z0-9]+)$/;

export interface IdentityCenterRole {
  permissionSetName: string;
  /** The random suffix Identity Center appended; a re-provisioned role may get another. */
  suffix: string;
}

/**
 * The permission set behind a role, when the role is one Identity Center created (its path and its
 * name both say so); undefined for any other role. A role that merely copies the name under
 * another path is not one (only Identity Center can create roles under /aws-reserved/).
 */
export function identityCenterRole(name: string, path: string): IdentityCenterRole | undefined {
  if (!PATH.test(path)) return undefined;
  const m = NAME.exec(name);
  if (!m) return undefined;
  return { permissionSetName: m[1]!, suffix: m[2]! };
}

/** The same, from a role ARN (`arn:<p>:iam::<account>:role/<path><name>`). */
export function identityCenterRoleOfArn(arn: string): IdentityCenterRole | undefined {
  const m = /^arn:aws[a-z-]*:iam::\d{12}:role(\/.*\/|\/)([^/]+)$/.exec(arn);
  return m ? identityCenterRole(m[2]!, m[1]!) : undefined;
}
