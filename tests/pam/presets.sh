#!/bin/sh
# Vendor presets through real logins: for each preset, `url` points at the
# mock gateway under the vendor's own path; the request is checked field by
# field (method, path, authentication, every body field, number format,
# the unicode flag), the vendor's documented success answer logs in and its
# documented failure answer fails closed without a prompt.  Also: a
# Retry-After inside and beyond the budget, failover from a refusing
# preset, and AWS SigV4 checked by recomputing the signature.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

SID=AC0123456789abcdef0123456789abcdef
UTF_TEMPLATE='CODE={code} ✓ código'

# preset_setup PRESET_KEYS [MOCK OPTIONS]: gateway, alice, one provider
# "vendor" with PRESET_KEYS (its url may use @GW@ for the gateway)
preset_setup() {
	_keys=$1
	shift
	start_gateway "$@"
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"vendor\"; $(printf '%s' "$_keys" | sed "s|@GW@|http://127.0.0.1:$GW_PORT|g") }" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
}

# The code in the last request, wherever the vendor keeps the text (a form
# field, a JSON field at any depth, or the raw body).
preset_code() {
	log_get 'next(iter(re.findall(r"CODE=([0-9]+)", json.dumps(r.get("form"), ensure_ascii=False) + json.dumps(r.get("json"), ensure_ascii=False) + r.get("body", ""))), "")' "${1:-$GW_LOG}"
}

answer_preset_code() {
	wait_sms 1 "${1:-$GW_LOG}" || return 1
	wait_prompt 1 || return 1
	printf '%s\n' "$(preset_code "${1:-$GW_LOG}")"
}

# login_ok: the preset's success answer lets alice in with the SMS code
login_ok() {
	pam_run smsotp alice 'answer_preset_code'
	assert_result SUCCESS
	assert_prompted
	assert_sms_count 1
	CODE=$(preset_code)
	[ -n "$CODE" ] || fail "no code in the request"
}

# login_refused TEXT...: the failure answer fails closed, no prompt, and
# the log says why
login_refused() {
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	[ "$(sms_count)" -ge 1 ] || fail "the provider was not tried"
	for _t in "$@"; do
		assert_contains "$SYSLOG" "$_t" "the log line says why"
	done
	assert_not_contains "$C/syslog.all" "$ALICE_PHONE" "no full number in the log"
}

# req EXPR: a Python expression over the last request r
req() {
	log_get "$1"
}

basic_decoded() {
	req 'hdr(r, "authorization").split(" ", 1)[0] + " " + __import__("base64").b64decode(hdr(r, "authorization").split(" ", 1)[1]).decode()'
}

# ---------------------------------------------------------------- twilio

TWILIO_OK='{"account_sid":"AC0123456789abcdef0123456789abcdef","api_version":"2010-04-01","body":"x","direction":"outbound-api","error_code":null,"from":"+15005550006","sid":"SM1f0e8ae6ade43cb3c0ce4525424e404f","status":"queued","to":"+447700900123"}'
TWILIO_ERR='{"code":21211,"message":"The '"'"'To'"'"' number +447700900123 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}'
TWILIO_KEYS="type = \"twilio\"; account_sid = \"$SID\"; auth_token = \"tw-auth-token-1\"; url = \"@GW@/2010-04-01/Accounts/$SID/Messages.json\";"

t_twilio() {
	preset_setup "$TWILIO_KEYS sender = \"+15005550006\";" --status 201 --body "$TWILIO_OK"
	login_ok
	assert_eq POST "$(req 'r["method"]')" "method"
	assert_eq "/2010-04-01/Accounts/$SID/Messages.json" "$(req 'r["path"]')" "path"
	assert_eq "Basic $SID:tw-auth-token-1" "$(basic_decoded)" "Basic account_sid:auth_token"
	assert_eq application/x-www-form-urlencoded "$(req 'hdr(r, "content-type")')" "form"
	assert_eq '["Body", "From", "To"]' "$(req 'sorted(r["form"])')" "exactly To, From, Body"
	assert_eq "$ALICE_PHONE" "$(req 'r["form"]["To"]')" "To: E.164 with +"
	assert_eq +15005550006 "$(req 'r["form"]["From"]')" "From: the sender"
	assert_eq "CODE=$CODE" "$(req 'r["form"]["Body"]')" "Body: the text"
}
run_case "twilio: form POST to Messages.json, Basic auth, To/From/Body; 201 logs in" t_twilio

t_twilio_msid_unicode() {
	TEMPLATE=$UTF_TEMPLATE preset_setup "$TWILIO_KEYS messaging_service_sid = \"MG0123456789abcdef0123456789abcdef\";" \
	    --status 201 --body "$TWILIO_OK"
	login_ok
	assert_eq '["Body", "MessagingServiceSid", "To"]' "$(req 'sorted(r["form"])')" "MessagingServiceSid instead of From"
	assert_eq MG0123456789abcdef0123456789abcdef "$(req 'r["form"]["MessagingServiceSid"]')" "the service SID"
	assert_eq "CODE=$CODE ✓ código" "$(req 'r["form"]["Body"]')" "the text, UTF-8 (Twilio picks the encoding)"
}
run_case "twilio: messaging_service_sid instead of sender, non-GSM text as is" t_twilio_msid_unicode

t_twilio_refused() {
	preset_setup "$TWILIO_KEYS sender = \"+15005550006\";" --status 400 --body "$TWILIO_ERR"
	login_refused "provider 'vendor' failed: HTTP 400" "is not a valid phone number"
	assert_sms_count 1
}
run_case "twilio: 400 error 21211 fails closed, not retried" t_twilio_refused

# ---------------------------------------------------------------- vonage

VONAGE_OK='{"message-count":"1","messages":[{"to":"447700900123","message-id":"0C000000217B7F02","status":"0","remaining-balance":"15.53590000","message-price":"0.03330000","network":"23410"}]}'
VONAGE_ERR='{"message-count":"1","messages":[{"status":"2","error-text":"Missing to param"}]}'
VONAGE_KEYS='type = "vonage"; api_key = "vo-key-1"; api_secret = "vo-secret-1"; sender = "ACME"; url = "@GW@/sms/json";'

t_vonage() {
	preset_setup "$VONAGE_KEYS" --status 200 --body "$VONAGE_OK"
	login_ok
	assert_eq POST "$(req 'r["method"]')" "method"
	assert_eq /sms/json "$(req 'r["path"]')" "path"
	assert_eq application/x-www-form-urlencoded "$(req 'hdr(r, "content-type")')" "form"
	assert_eq '' "$(req 'hdr(r, "authorization")')" "credentials in the form, no Authorization"
	assert_eq '["api_key", "api_secret", "from", "text", "to"]' "$(req 'sorted(r["form"])')" "the fields, no type for GSM-7"
	assert_eq vo-key-1 "$(req 'r["form"]["api_key"]')" "api_key"
	assert_eq vo-secret-1 "$(req 'r["form"]["api_secret"]')" "api_secret"
	assert_eq ACME "$(req 'r["form"]["from"]')" "from"
	assert_eq 447700900123 "$(req 'r["form"]["to"]')" "to: digits, no +"
	assert_eq "CODE=$CODE" "$(req 'r["form"]["text"]')" "text"
}
run_case "vonage: form POST to /sms/json, api_key/api_secret/from/to/text; status 0 logs in" t_vonage

t_vonage_unicode() {
	TEMPLATE=$UTF_TEMPLATE preset_setup "$VONAGE_KEYS" --status 200 --body "$VONAGE_OK"
	login_ok
	assert_eq unicode "$(req 'r["form"]["type"]')" "type=unicode for a non-GSM-7 text"
	assert_eq "CODE=$CODE ✓ código" "$(req 'r["form"]["text"]')" "the text, UTF-8"
}
run_case "vonage: non-GSM-7 text sends type=unicode" t_vonage_unicode

t_vonage_refused() {
	preset_setup "$VONAGE_KEYS" --status 200 --body "$VONAGE_ERR"
	login_refused 'messages.0.status is "2", not "0"'
	assert_sms_count 1
}
run_case "vonage: HTTP 200 with status 2 (missing param) fails closed, not retried" t_vonage_refused

t_vonage_second_refused() {
	preset_setup "$VONAGE_KEYS" --status 200 \
	    --body '{"message-count":"2","messages":[{"status":"0"},{"status":"9","error-text":"Partner quota exceeded"}]}'
	login_refused 'messages.1.status is "9"'
}
run_case "vonage: every messages[].status must be 0" t_vonage_second_refused

# ---------------------------------------------------------------- messagebird

MB_OK='{"id":"e8077d803532c0b5937c639b60216938","href":"https://rest.messagebird.com/messages/e8077d803532c0b5937c639b60216938","direction":"mt","type":"sms","originator":"ACME","body":"x","datacoding":"plain","recipients":{"totalCount":1,"totalSentCount":1,"totalDeliveredCount":0,"totalDeliveryFailedCount":0,"items":[{"recipient":447700900123,"status":"sent"}]}}'
MB_ERR='{"errors":[{"code":2,"description":"Request not allowed (incorrect access_key)","parameter":"access_key"}]}'
MB_KEYS='type = "messagebird"; access_key = "mb-live-key-1"; sender = "ACME"; url = "@GW@/messages";'

t_messagebird() {
	preset_setup "$MB_KEYS" --status 201 --body "$MB_OK"
	login_ok
	assert_eq POST "$(req 'r["method"]')" "method"
	assert_eq /messages "$(req 'r["path"]')" "path"
	assert_eq 'AccessKey mb-live-key-1' "$(req 'hdr(r, "authorization")')" "AccessKey auth"
	assert_eq application/json "$(req 'hdr(r, "accept")')" "Accept"
	assert_str_match "$(req 'hdr(r, "content-type")')" '^application/json' "JSON"
	assert_eq "{\"body\": \"CODE=$CODE\", \"datacoding\": \"plain\", \"originator\": \"ACME\", \"recipients\": [\"447700900123\"]}" \
	    "$(req 'r["json"]')" "originator, recipients (digits), body, datacoding plain"
}
run_case "messagebird: JSON to /messages, AccessKey, originator/recipients/body; 201 logs in" t_messagebird

t_messagebird_unicode() {
	TEMPLATE=$UTF_TEMPLATE preset_setup "$MB_KEYS" --status 201 --body "$MB_OK"
	login_ok
	assert_eq unicode "$(req 'r["json"]["datacoding"]')" "datacoding unicode"
	assert_eq "CODE=$CODE ✓ código" "$(req 'r["json"]["body"]')" "the text"
}
run_case "messagebird: non-GSM-7 text sends datacoding unicode" t_messagebird_unicode

t_messagebird_refused() {
	preset_setup "$MB_KEYS" --status 401 --body "$MB_ERR"
	login_refused "HTTP 401" "incorrect access_key"
}
run_case "messagebird: 401 (incorrect access_key) fails closed" t_messagebird_refused

# ---------------------------------------------------------------- plivo

PLIVO_OK='{"api_id":"db342550-7f1d-11e1-8ea7-1231380bc196","message":"message(s) queued","message_uuid":["db3ce55a-7f1d-11e1-8ea7-1231380bc196"]}'
PLIVO_ERR='{"api_id":"97ceeb52-58b6-11e1-86da-77300b68f8bb","error":"src parameter not present"}'
PLIVO_KEYS='type = "plivo"; auth_id = "MAXXXXXXXXXXXXXXXXXX"; auth_token = "pl-token-1"; sender = "+14155550100"; url = "@GW@/v1/Account/MAXXXXXXXXXXXXXXXXXX/Message/";'

t_plivo() {
	preset_setup "$PLIVO_KEYS" --status 202 --body "$PLIVO_OK"
	login_ok
	assert_eq POST "$(req 'r["method"]')" "method"
	assert_eq /v1/Account/MAXXXXXXXXXXXXXXXXXX/Message/ "$(req 'r["path"]')" "path"
	assert_eq 'Basic MAXXXXXXXXXXXXXXXXXX:pl-token-1' "$(basic_decoded)" "Basic auth_id:auth_token"
	assert_eq "{\"dst\": \"447700900123\", \"src\": \"+14155550100\", \"text\": \"CODE=$CODE\"}" \
	    "$(req 'r["json"]')" "src, dst (digits), text"
}
run_case "plivo: JSON to /v1/Account/{auth_id}/Message/, Basic auth, src/dst/text; 202 logs in" t_plivo

t_plivo_refused() {
	preset_setup "$PLIVO_KEYS" --status 400 --body "$PLIVO_ERR"
	login_refused "HTTP 400" "src parameter not present"
}
run_case "plivo: 400 fails closed" t_plivo_refused

t_plivo_no_uuid() {
	preset_setup "$PLIVO_KEYS" --status 202 --body '{"api_id":"db342550","message":"message(s) queued","message_uuid":[]}'
	login_refused "message_uuid is empty"
}
run_case "plivo: 202 without a message_uuid fails closed" t_plivo_no_uuid

# ---------------------------------------------------------------- sinch

SINCH_OK='{"id":"01FC66621XXXXX119Z8PMV1QPQ","to":["+447700900123"],"from":"+12025550134","canceled":false,"body":"x","type":"mt_text","created_at":"2026-11-26T10:00:00.000Z","modified_at":"2026-11-26T10:00:00.000Z","delivery_report":"none","expire_at":"2026-11-29T10:00:00.000Z","flash_message":false}'
SINCH_ERR='{"code":"syntax_invalid_parameter_format","text":"Invalid to: not a valid phone number"}'
SINCH_KEYS='type = "sinch"; service_plan_id = "jd63jf88477ll123ab4567cd89012ef3"; api_token = "si-token-1"; region = "eu"; url = "@GW@/xms/v1/jd63jf88477ll123ab4567cd89012ef3/batches";'

t_sinch() {
	preset_setup "$SINCH_KEYS sender = \"+12025550134\";" --status 201 --body "$SINCH_OK"
	login_ok
	assert_eq POST "$(req 'r["method"]')" "method"
	assert_eq /xms/v1/jd63jf88477ll123ab4567cd89012ef3/batches "$(req 'r["path"]')" "path"
	assert_eq 'Bearer si-token-1' "$(req 'hdr(r, "authorization")')" "Bearer api_token"
	assert_eq "{\"body\": \"CODE=$CODE\", \"from\": \"+12025550134\", \"to\": [\"$ALICE_PHONE\"]}" \
	    "$(req 'r["json"]')" "from, to (E.164 with +), body"
}
run_case "sinch: JSON to /xms/v1/{plan}/batches, Bearer, from/to/body; 201 logs in" t_sinch

t_sinch_no_sender() {
	preset_setup "$SINCH_KEYS" --status 201 --body "$SINCH_OK"
	login_ok
	assert_eq '["body", "to"]' "$(req 'sorted(r["json"])')" "no from: the plan's default originator"
}
run_case "sinch: without sender, no from field" t_sinch_no_sender

t_sinch_refused() {
	preset_setup "$SINCH_KEYS" --status 400 --body "$SINCH_ERR"
	login_refused "HTTP 400" "syntax_invalid_parameter_format"
}
run_case "sinch: 400 fails closed" t_sinch_refused

# ---------------------------------------------------------------- infobip

IB_OK='{"bulkId":"2034072219640523072","messages":[{"to":"447700900123","status":{"groupId":1,"groupName":"PENDING","id":26,"name":"PENDING_ACCEPTED","description":"Message sent to next instance"},"messageId":"2250be2d4219-3af1-78856-aabe-1362af1edfd2"}]}'
IB_REJ='{"bulkId":"2034072219640523072","messages":[{"to":"447700900123","status":{"groupId":5,"groupName":"REJECTED","id":6,"name":"REJECTED_NETWORK","description":"Network is forbidden"},"messageId":"2250be2d4219-3af1-78856-aabe-1362af1edfd2"}]}'
IB_KEYS='type = "infobip"; api_key = "ib-key-1"; sender = "ACME"; url = "@GW@/sms/2/text/advanced";'

t_infobip() {
	preset_setup "$IB_KEYS" --status 200 --body "$IB_OK"
	login_ok
	assert_eq POST "$(req 'r["method"]')" "method"
	assert_eq /sms/2/text/advanced "$(req 'r["path"]')" "path"
	assert_eq 'App ib-key-1' "$(req 'hdr(r, "authorization")')" "App api_key"
	assert_eq "{\"messages\": [{\"destinations\": [{\"to\": \"447700900123\"}], \"from\": \"ACME\", \"text\": \"CODE=$CODE\"}]}" \
	    "$(req 'r["json"]')" "messages[0]: from, destinations[0].to (digits), text"
}
run_case "infobip: JSON to /sms/2/text/advanced, App key, messages[]; PENDING logs in" t_infobip

t_infobip_rejected() {
	preset_setup "$IB_KEYS" --status 200 --body "$IB_REJ"
	login_refused 'messages.0.status.groupName is "REJECTED", not "PENDING"'
	assert_sms_count 1
}
run_case "infobip: HTTP 200 with status group REJECTED fails closed" t_infobip_rejected

# ---------------------------------------------------------------- clickatell

CT_OK='{"messages":[{"apiMessageId":"1d1e5b2e9c4a4b4c9a35b4d4e5e6f7a8","accepted":true,"to":"447700900123","errorCode":null,"error":null,"errorDescription":null}],"errorCode":null,"error":null,"errorDescription":null}'
CT_ERR='{"messages":[{"apiMessageId":null,"accepted":false,"to":"447700900123","errorCode":105,"error":"Invalid destination address.","errorDescription":"The destination address is not valid."}],"errorCode":null,"error":null,"errorDescription":null}'
CT_KEYS='type = "clickatell"; api_key = "Ab1Cd2Ef3Gh4Ij5Kl6Mn7A=="; url = "@GW@/messages";'

t_clickatell() {
	preset_setup "$CT_KEYS" --status 202 --body "$CT_OK"
	login_ok
	assert_eq POST "$(req 'r["method"]')" "method"
	assert_eq /messages "$(req 'r["path"]')" "path"
	assert_eq 'Ab1Cd2Ef3Gh4Ij5Kl6Mn7A==' "$(req 'hdr(r, "authorization")')" "the bare API key"
	assert_eq "{\"content\": \"CODE=$CODE\", \"to\": [\"447700900123\"]}" \
	    "$(req 'r["json"]')" "content, to (digits), no from without a sender"
}
run_case "clickatell: JSON to /messages, bare key, content/to; accepted logs in" t_clickatell

t_clickatell_sender() {
	preset_setup "$CT_KEYS sender = \"+15555550123\";" --status 202 --body "$CT_OK"
	login_ok
	assert_eq +15555550123 "$(req 'r["json"]["from"]')" "from: the sender"
}
run_case "clickatell: from when sender is set" t_clickatell_sender

t_clickatell_refused() {
	preset_setup "$CT_KEYS" --status 202 --body "$CT_ERR"
	login_refused 'messages.0.accepted is false'
}
run_case "clickatell: a message not accepted fails closed" t_clickatell_refused

t_clickatell_400() {
	preset_setup "$CT_KEYS" --status 400 --body "$CT_ERR"
	login_refused "HTTP 400"
}
run_case "clickatell: 400 fails closed" t_clickatell_400

# ---------------------------------------------------------------- aws_sns

SNS_OK='<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult>
    <MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId>
  </PublishResult>
  <ResponseMetadata>
    <RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId>
  </ResponseMetadata>
</PublishResponse>'
SNS_ERR='<ErrorResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid parameter: PhoneNumber Reason: +447700900123 is not valid to publish</Message></Error><RequestId>9a3c5e1f</RequestId></ErrorResponse>'
SNS_SECRET='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
SNS_KEYS="type = \"aws_sns\"; region = \"eu-west-1\"; access_key_id = \"AKIAIOSFODNN7EXAMPLE\"; secret_access_key = \"$SNS_SECRET\"; url = \"@GW@/\";"

# The request's SigV4 signature, recomputed from what the gateway received
# with the secret key: "OK" or why not.
SIGV4_CHECK='
import hashlib, hmac, re
a = hdr(r, "authorization")
m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/([0-9]{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", a)
if not m:
    res = "bad Authorization: " + a
else:
    kid, day, region, svc, signed, sig = m.groups()
    secret = os.environ["SNS_SECRET"]
    ch = "".join("%s:%s\n" % (h, hdr(r, h).strip()) for h in signed.split(";"))
    creq = "\n".join([r["method"], r["path"], "", ch, signed, hashlib.sha256(r["body"].encode()).hexdigest()])
    sts = "\n".join(["AWS4-HMAC-SHA256", hdr(r, "x-amz-date"), "%s/%s/%s/aws4_request" % (day, region, svc), hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, region, svc, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    res = "OK" if hmac.compare_digest(want, sig) else "signature mismatch"
'

sigv4_verdict() {
	SNS_SECRET=$SNS_SECRET log_get '(exec(compile(os.environ["SIGV4_CHECK"], "sigv4", "exec"), globals()), res)[1]'
}

t_aws_sns() {
	preset_setup "$SNS_KEYS sender = \"ACME\";" --status 200 --body "$SNS_OK" --content-type text/xml
	login_ok
	assert_eq POST "$(req 'r["method"]')" "method"
	assert_eq / "$(req 'r["path"]')" "path"
	assert_str_match "$(req 'hdr(r, "authorization")')" \
	    '^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/[0-9]{8}/eu-west-1/sns/aws4_request, SignedHeaders=[a-z;-]*host[a-z;-]*, Signature=[0-9a-f]{64}$' \
	    "SigV4 Authorization for eu-west-1/sns"
	assert_str_match "$(req 'hdr(r, "x-amz-date")')" '^[0-9]{8}T[0-9]{6}Z$' "x-amz-date"
	assert_eq OK "$(SIGV4_CHECK=$SIGV4_CHECK sigv4_verdict)" "the signature verifies with the secret key"
	assert_eq application/x-www-form-urlencoded "$(req 'hdr(r, "content-type")')" "form"
	assert_eq "{\"Action\": \"Publish\", \"Message\": \"CODE=$CODE\", \"MessageAttributes.entry.1.Name\": \"AWS.SNS.SMS.SMSType\", \"MessageAttributes.entry.1.Value.DataType\": \"String\", \"MessageAttributes.entry.1.Value.StringValue\": \"Transactional\", \"MessageAttributes.entry.2.Name\": \"AWS.SNS.SMS.SenderID\", \"MessageAttributes.entry.2.Value.DataType\": \"String\", \"MessageAttributes.entry.2.Value.StringValue\": \"ACME\", \"PhoneNumber\": \"$ALICE_PHONE\", \"Version\": \"2010-03-31\"}" \
	    "$(req 'r["form"]')" "Publish, PhoneNumber (E.164), Message, transactional, SenderID"
	assert_not_contains "$GW_LOG" "$SNS_SECRET" "the secret key never travels"
}
run_case "aws_sns: SigV4-signed Publish (PhoneNumber, Message, Transactional, SenderID); MessageId logs in" t_aws_sns

t_aws_sns_unicode() {
	TEMPLATE=$UTF_TEMPLATE preset_setup "$SNS_KEYS" --status 200 --body "$SNS_OK" --content-type text/xml
	login_ok
	assert_eq "CODE=$CODE ✓ código" "$(req 'r["form"]["Message"]')" "the text, UTF-8"
	assert_eq OK "$(SIGV4_CHECK=$SIGV4_CHECK sigv4_verdict)" "the signature covers the UTF-8 body"
	assert_eq '' "$(req 'r["form"].get("MessageAttributes.entry.2.Name", "")')" "no SenderID without a sender"
}
run_case "aws_sns: non-GSM-7 text signed as sent, no SenderID without sender" t_aws_sns_unicode

t_aws_sns_refused() {
	preset_setup "$SNS_KEYS" --status 400 --body "$SNS_ERR" --content-type text/xml
	login_refused "HTTP 400" "InvalidParameter"
}
run_case "aws_sns: 400 InvalidParameter fails closed" t_aws_sns_refused

t_aws_sns_no_id() {
	preset_setup "$SNS_KEYS" --status 200 --body '<PublishResponse><PublishResult></PublishResult></PublishResponse>' --content-type text/xml
	login_refused "has no <MessageId>"
}
run_case "aws_sns: 200 without a MessageId fails closed" t_aws_sns_no_id

# ---------------------------------------------------------------- transport

t_retry_after_ok() {
	_bodies=$("$PYTHON" -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \
	    '{"code":20429,"message":"Too Many Requests"}' "$TWILIO_OK")
	preset_setup "$TWILIO_KEYS sender = \"+15005550006\";" --responses 429,201 --retry-after 1 \
	    --bodies "$_bodies"
	pam_run smsotp alice 'wait_sms 2; answer_preset_code'
	assert_result SUCCESS
	assert_sms_count 2
	t1=$(log_get 'r["time"]' "$GW_LOG" 0)
	t2=$(log_get 'r["time"]' "$GW_LOG" 1)
	"$PYTHON" -c "import sys; sys.exit(0 if $t2 - $t1 >= 0.95 else 1)" ||
	    fail "the second try came before Retry-After: 1 ($t1, $t2)"
}
run_case "429 with Retry-After: 1 inside the timeout: waited for, then 201 logs in" t_retry_after_ok

t_retry_after_beyond() {
	# a timeout far longer than a login may take here (TIME_SLACK_MS), so
	# that giving up at once and waiting it out differ on any machine
	preset_setup "$TWILIO_KEYS sender = \"+15005550006\"; timeout = 300; retries = 3;" --status 503 --retry-after 3600
	login_refused "HTTP 503" "Retry-After 3600 s: beyond the timeout"
	assert_sms_count 1
	assert_elapsed_max 0 "gave up only after $ELAPSED_MS ms: it waited"
}
run_case "503 with Retry-After: 3600 beyond a 300 s timeout: that provider gives up at once" t_retry_after_beyond

t_retry_after_date() {
	_when=$("$PYTHON" -c 'import email.utils, time; print(email.utils.formatdate(time.time() + 600, usegmt=True))')
	preset_setup "$VONAGE_KEYS" --status 429 --retry-after "$_when"
	login_refused "HTTP 429" "beyond the timeout"
	assert_sms_count 1
}
run_case "429 with Retry-After as an HTTP date 10 min ahead: beyond the timeout" t_retry_after_date

t_failover_from_preset() {
	start_gateway --status 200 --body "$VONAGE_ERR"
	A_PORT=$GW_PORT A_LOG=$GW_LOG
	start_gateway --status 201 --body "$TWILIO_OK"
	B_LOG=$GW_LOG
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"vo\"; type = \"vonage\"; api_key = \"k\"; api_secret = \"s\"; sender = \"ACME\"; url = \"http://127.0.0.1:$A_PORT/sms/json\"; },
	    { name = \"tw\"; $(printf '%s' "$TWILIO_KEYS" | sed "s|@GW@|http://127.0.0.1:$GW_PORT|") sender = \"+15005550006\"; }" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice "answer_preset_code $B_LOG"
	assert_result SUCCESS
	assert_sms_count 1 "$A_LOG"
	assert_sms_count 1 "$B_LOG"
	assert_contains "$SYSLOG" "provider 'vo' failed" "the refusing preset is logged"
}
run_case "failover: vonage refuses (status 2), twilio delivers" t_failover_from_preset

t_secrets_not_logged() {
	preset_setup "$VONAGE_KEYS" --status 401 --echo-body
	login_refused "HTTP 401"
	assert_not_contains "$C/syslog.all" "vo-secret-1" "api_secret never in the log"
	assert_not_contains "$C/syslog.all" "vo-key-1" "api_key never in the log"
}
run_case "a gateway echoing the request: no credential in the log" t_secrets_not_logged

finish
