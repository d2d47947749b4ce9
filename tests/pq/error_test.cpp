// Error classification, DSN redaction and one-line messages: what decides
// whether the pool retries, and what a user reads when a DSN fails.
#include "faultline/pq/error.h"

#include <gtest/gtest.h>

#include "faultline/pq/dsn.h"

namespace faultline::pq {
namespace {

TEST(ClassifySqlstate, ShouldTreatConnectionExceptionsAndShutdownsAsConnectionErrors) {
  for (const char* state :
       {"08000", "08003", "08006", "08001", "08P01", "57P01", "57P02", "57P03", "53300"}) {
    EXPECT_EQ(classify_sqlstate(state), ErrorKind::kConnection) << state;
  }
}

TEST(ClassifySqlstate, ShouldTreatSerializationFailureAndDeadlockAsRetryableTransactions) {
  EXPECT_EQ(classify_sqlstate("40001"), ErrorKind::kRetryableTransaction);
  EXPECT_EQ(classify_sqlstate("40P01"), ErrorKind::kRetryableTransaction);
}

TEST(ClassifySqlstate, ShouldTreatConstraintSyntaxAndTimeoutErrorsAsPermanent) {
  for (const char* state : {"23505", "23502", "23503", "23514", "42601", "42P01", "42501", "57014", "55P03",
                            "40002", "53100", "22012", "", "080", "0800000"}) {
    EXPECT_EQ(classify_sqlstate(state), ErrorKind::kPermanent) << state;
  }
}

TEST(PqError, ShouldBeRetryableOnlyForConnectionAndTransactionRaces) {
  EXPECT_TRUE(Error(ErrorKind::kConnection, "", "x").retryable());
  EXPECT_TRUE(Error(ErrorKind::kRetryableTransaction, "40001", "x").retryable());
  EXPECT_FALSE(Error(ErrorKind::kPermanent, "23505", "x").retryable());
  EXPECT_FALSE(Error(ErrorKind::kPoolExhausted, "", "x").retryable());
}

TEST(RedactDsn, ShouldReplaceThePasswordOfAKeywordDsn) {
  const std::string redacted =
      redact_dsn("host=db.example port=5433 user=trader password='s3 cr\\'et' dbname=trading");
  EXPECT_EQ(redacted.find("s3"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("password=***"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("host=db.example"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("port=5433"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("dbname=trading"), std::string::npos) << redacted;
}

TEST(RedactDsn, ShouldReplaceThePasswordOfAUri) {
  const std::string redacted = redact_dsn("postgresql://trader:hunter2@db.example:5433/trading");
  EXPECT_EQ(redacted.find("hunter2"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("db.example"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("trader"), std::string::npos) << redacted;
}

TEST(RedactDsn, ShouldKeepADsnWithoutPasswordAsGiven) {
  EXPECT_EQ(redact_dsn("host=127.0.0.1 port=5432 user=postgres dbname=trading"),
            "host=127.0.0.1 port=5432 user=postgres dbname=trading");
}

TEST(RedactDsn, ShouldHideThePasswordOfADsnLibpqCannotParse) {
  const std::string redacted = redact_dsn("host=x password=hunter2 bogus");
  EXPECT_EQ(redacted.find("hunter2"), std::string::npos) << redacted;
  const std::string uri = redact_dsn("postgresql://u:hunter2@h/db?bogus=1&password=other");
  EXPECT_EQ(uri.find("hunter2"), std::string::npos) << uri;
  EXPECT_EQ(uri.find("other"), std::string::npos) << uri;
}

TEST(OneLine, ShouldJoinLibpqMultiLineMessagesIntoOneLine) {
  EXPECT_EQ(one_line("connection to server failed: Connection refused\n\tIs the server running?\n"),
            "connection to server failed: Connection refused Is the server running?");
}

}  // namespace
}  // namespace faultline::pq
