// Recognising the roles IAM Identity Center creates (functions/kernel/identity-center.ts).
import { describe, expect, it } from 'vitest';
import { identityCenterRole, identityCenterRoleOfArn } from '#kernel/identity-center';

describe('identityCenterRole', () => {
  it.each([
    ['AWSReservedSSO_AWSAdministratorAccess_1234567890abcdef', '/aws-reserved/sso.amazonaws.com/', 'AWSAdministratorAccess', '1234567890abcdef'],
    ['AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789', '/aws-reserved/sso.amazonaws.com/eu-west-1/', 'PlatformReadOnly', '0a1b2c3d4e5f6789'],
    // A permission set name may contain "_": the suffix is what follows the last one.
    ['AWSReservedSSO_Data_Readers_0a1b2c3d4e5f6789', '/aws-reserved/sso.amazonaws.com/', 'Data_Readers', '0a1b2c3d4e5f6789'],
    ['AWSReservedSSO_a+b=c,d.e@f-g_FFFF', '/aws-reserved/sso.amazonaws.com/us-gov-west-1/', 'a+b=c,d.e@f-g', 'FFFF'],
  ])('%s under %s is permission set %s', (name, path, permissionSetName, suffix) => {
    expect(identityCenterRole(name, path)).toEqual({ permissionSetName, suffix });
  });

  it.each([
    ['AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789', '/', 'the name copied outside the reserved path'],
    ['AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789', '/aws-reserved/sso.amazonaws.com/teams/', 'a path segment that is not a Region'],
    ['AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789', '/aws-reserved/', 'another reserved path'],
    ['AWSReservedSSO_PlatformReadOnly', '/aws-reserved/sso.amazonaws.com/', 'no suffix'],
    ['AWSReservedSSO__0a1b', '/aws-reserved/sso.amazonaws.com/', 'no permission set name'],
    ['PlatformReadOnly_0a1b', '/aws-reserved/sso.amazonaws.com/', 'not the AWSReservedSSO_ prefix'],
  ])('%s under %s is not one (%s)', (name, path) => {
    expect(identityCenterRole(name, path)).toBeUndefined();
  });

  it('reads the permission set from a role ARN with either path form, and nothing from a user or another role', () => {
    expect(identityCenterRoleOfArn('arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_abc123')).toEqual({ permissionSetName: 'Dev', suffix: 'abc123' });
    expect(identityCenterRoleOfArn('arn:aws-cn:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_abc123')).toEqual({ permissionSetName: 'Dev', suffix: 'abc123' });
    expect(identityCenterRoleOfArn('arn:aws:iam::111122223333:role/AWSReservedSSO_Dev_abc123')).toBeUndefined();
    expect(identityCenterRoleOfArn('arn:aws:iam::111122223333:user/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_abc123')).toBeUndefined();
  });
});
