/** The one account's canonical owner, as S3 shows it in listings. */
export const OWNER = { ID: '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a', DisplayName: 'nimbus' };
