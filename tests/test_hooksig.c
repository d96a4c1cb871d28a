/*  test_hooksig - the Standard Webhooks signature.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hooksig.h"

//  The test vector of the Standard Webhooks reference libraries
//  (github.com/standard-webhooks/standard-webhooks, libraries/*/tests).
#define S_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define S_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define S_TIMESTAMP 1614265330
#define S_BODY "{\"test\": 2432232314}"
#define S_SIGNATURE "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void
test_signs_the_standard_vector (void **state)
{
    (void)state;
    char error[HOOKSIG_ERROR_MAX] = "";
    hooksig_t *signer = hooksig_new (S_SECRET, error);
    assert_non_null (signer);
    char *signature =
        hooksig_sign (signer, S_ID, S_TIMESTAMP, S_BODY, strlen (S_BODY));
    assert_string_equal (signature, S_SIGNATURE);
    free (signature);
    //  Any change to id, time or body changes it.
    signature =
        hooksig_sign (signer, S_ID, S_TIMESTAMP + 1, S_BODY, strlen (S_BODY));
    assert_string_not_equal (signature, S_SIGNATURE);
    free (signature);
    signature =
        hooksig_sign (signer, S_ID, S_TIMESTAMP, S_BODY, strlen (S_BODY) - 1);
    assert_string_not_equal (signature, S_SIGNATURE);
    free (signature);
    hooksig_destroy (&signer);
    hooksig_destroy (&signer);
}

static void
test_refuses_bad_secrets (void **state)
{
    (void)state;
    char error[HOOKSIG_ERROR_MAX] = "";
    assert_null (hooksig_new (NULL, error));
    assert_non_null (strstr (error, "PDFPIPE_WEBHOOK_SECRET must be whsec_"));
    assert_null (hooksig_new ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", error));
    assert_null (hooksig_new ("whsec_not*base64", error));
    assert_non_null (strstr (error, "base64 of 24 to 64 bytes"));
    //  Too short: 8 bytes.
    assert_null (hooksig_new ("whsec_AAAAAAAAAAA=", error));
    //  The secret itself is never in the message.
    assert_null (strstr (error, "AAAAAAAAAAA"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_signs_the_standard_vector),
        cmocka_unit_test (test_refuses_bad_secrets),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
