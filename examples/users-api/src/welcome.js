// Runs for every new user (the table's stream, filtered to INSERTs): where a
// real app would send a welcome email, this one logs it.
exports.handler = async (event) => {
  for (const record of event.Records) {
    const user = record.dynamodb.NewImage;
    console.log(`welcome email to ${user.email.S} (${user.name.S})`);
  }
};
