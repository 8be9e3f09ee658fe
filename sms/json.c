/*
 * sms/json: reading a provider's answer.  A JSON answer parsed strictly
 * and walked down a path ("messages.*.status=0"); an XML answer (AWS)
 * searched for one element's text, no parser needed.  The parsed tree may
 * echo the text: it is wiped before it is released.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../util/util.h"
#include "http.h"

/* ---------------------------------------------------------------------
 * success_json
 */

int
sms_json_rule_check(const char *rule, char *err, size_t errlen)
{
	const char *eq, *s;

	eq = rule != NULL ? strchr(rule, '=') : NULL;
	if (eq == NULL || eq == rule) {
		snprintf(err, errlen, "success_json must be \"path=value\", "
			 "e.g. \"messages.0.status=0\"");
		return -1;
	}
	if (util_has_ctl(rule, 0)) {
		snprintf(err, errlen, "success_json must not contain control "
			 "characters");
		return -1;
	}
	/* "status = 0" would look for a key "status " forever. */
	if (rule[0] == ' ' || eq[-1] == ' ') {
		snprintf(err, errlen, "success_json path must not begin or end "
			 "with a space");
		return -1;
	}
	for (s = rule; s < eq; s++) {
		if (*s == '.' && (s == rule || s + 1 == eq || s[1] == '.')) {
			snprintf(err, errlen, "success_json path has an empty "
				 "segment");
			return -1;
		}
	}
	return 0;
}

static int
json_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
sms_json_parse(const char *s, size_t len, struct json_object **out,
		 char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t end, i;

	*out = NULL;
	for (i = 0; i < len && json_is_ws(s[i]); i++)
		;
	if (i == len) {
		snprintf(err, errlen, "answer is empty, not JSON");
		return SMS_FAILED;
	}
	if (len > INT_MAX) {
		snprintf(err, errlen, "answer is too large");
		return SMS_FAILED;
	}
	tok = json_tokener_new();
	if (tok == NULL)
		return SMS_ENOMEM;
	/* Strict: a provider's garbage must not pass as an answer.  Trailing
	 * data is checked below, to allow a final newline. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
			       JSON_TOKENER_ALLOW_TRAILING_CHARS);
	o = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* All of s was read but json-c cannot know that a top-level
		 * number or literal has ended: a NUL says so.  Anything still
		 * open (a string, an object) is an error then. */
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_success)
			jerr = json_tokener_continue;
		end = len;
	}
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		sms_json_put_wiped(o);
		snprintf(err, errlen, "answer is truncated JSON");
		return SMS_FAILED;
	}
	if (jerr != json_tokener_success) {
		sms_json_put_wiped(o);
		snprintf(err, errlen, "answer is not valid JSON (%s)",
			 json_tokener_error_desc(jerr));
		return SMS_FAILED;
	}
	for (i = end; i < len; i++) {
		if (!json_is_ws(s[i])) {
			sms_json_put_wiped(o);
			snprintf(err, errlen, "answer has data after the JSON value");
			return SMS_FAILED;
		}
	}
	*out = o;
	return SMS_OK;
}

static const char *
json_type_word(enum json_type t)
{
	switch (t) {
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	default:
		return "a value";
	}
}

/* Does leaf equal value: a string by content, anything else by its JSON
 * text ("0", "1.5", "true", "null").  1 yes, 0 no (err says what it is). */
static int
json_leaf_matches(struct json_object *leaf, const char *what, const char *path,
		  const char *value, char *err, size_t errlen)
{
	enum json_type t = json_object_get_type(leaf);
	const char *s;
	size_t n;

	if (t == json_type_object || t == json_type_array) {
		snprintf(err, errlen, "%s%s is %s, not a value", what, path,
			 json_type_word(t));
		return 0;
	}
	if (t == json_type_string) {
		s = json_object_get_string(leaf);
		n = (size_t)json_object_get_string_len(leaf);
	} else if (t == json_type_null) {
		s = "null";
		n = 4;
	} else {
		s = json_object_to_json_string_ext(leaf, JSON_C_TO_STRING_PLAIN);
		if (s == NULL)
			s = "";
		n = strlen(s);
	}
	if (n == strlen(value) && memcmp(s, value, n) == 0)
		return 1;
	snprintf(err, errlen, "%s%s is %s%.*s%s, not \"%s\"", what, path,
		 t == json_type_string ? "\"" : "", n > 40 ? 40 : (int)n, s,
		 n > 40 ? "..." : (t == json_type_string ? "\"" : ""), value);
	return 0;
}

/* Where a walk down a path is, for messages: the way so far, with the
 * index in place of each "*". */
struct json_walk {
	const char *what;	/* "success_json: " for the admin's rule */
	const char *value;	/* NULL: any non-empty value (presence) */
	char where[160];
	char *err;
	size_t errlen;
};

static void
json_where_add(struct json_walk *w, const char *seg, size_t *save)
{
	size_t n = strlen(w->where);

	*save = n;
	snprintf(w->where + n, sizeof(w->where) - n, "%s%s", n > 0 ? "." : "",
		 seg);
}

/* Is leaf a value worth calling present: a non-empty string, array or
 * object, a number or a boolean (not null)? */
static int
json_leaf_present(struct json_object *leaf, struct json_walk *w)
{
	switch (json_object_get_type(leaf)) {
	case json_type_null:
		break;
	case json_type_string:
		if (json_object_get_string_len(leaf) > 0)
			return 1;
		break;
	case json_type_array:
		if (json_object_array_length(leaf) > 0)
			return 1;
		break;
	case json_type_object:
		if (json_object_object_length(leaf) > 0)
			return 1;
		break;
	default:
		return 1;
	}
	snprintf(w->err, w->errlen, "%sthe answer's %s is empty", w->what,
		 w->where);
	return 0;
}

static int json_walk(struct json_object *cur, char *path, struct json_walk *w);

/* A "*" segment: every element must match (one refused message in a batch
 * is a refused SMS), and no element at all is no accepted one.  save is
 * where the way so far ends, before the "*". */
static int
json_walk_all(struct json_object *cur, char *rest, size_t save,
	      struct json_walk *w)
{
	size_t i, n;
	int rc = SMS_FAILED;

	if (json_object_get_type(cur) != json_type_array) {
		snprintf(w->err, w->errlen, "%sthe answer's %.*s is "
			 "not an array", w->what, (int)save, w->where);
		return SMS_FAILED;
	}
	n = json_object_array_length(cur);
	if (n == 0) {
		snprintf(w->err, w->errlen, "%sthe answer's %.*s is "
			 "an empty array", w->what, (int)save, w->where);
		return SMS_FAILED;
	}
	for (i = 0; i < n; i++) {
		char idx[24];
		size_t inner;

		w->where[save] = '\0';
		snprintf(idx, sizeof(idx), "%zu", i);
		json_where_add(w, idx, &inner);
		rc = json_walk(json_object_array_get_idx(cur, i), rest, w);
		if (rc != SMS_OK)
			return rc;
	}
	return rc;
}

/* The child of cur that segment seg names (a key, or an array index) into
 * *child (NULL for a JSON null): 1, or 0 with w->err. */
static int
json_child(struct json_object *cur, const char *seg, struct json_walk *w,
	   struct json_object **child)
{
	enum json_type t = json_object_get_type(cur);
	size_t digits;
	unsigned long idx;

	if (t == json_type_object) {
		if (json_object_object_get_ex(cur, seg, child))
			return 1;
		snprintf(w->err, w->errlen, "%sthe answer has no %s", w->what,
			 w->where);
		return 0;
	}
	if (t != json_type_array) {
		snprintf(w->err, w->errlen, "%sthe answer has no %s (a value "
			 "where an object or array was expected)", w->what,
			 w->where);
		return 0;
	}
	digits = strspn(seg, "0123456789");
	if (digits == 0 || seg[digits] != '\0' || digits > 9) {
		snprintf(w->err, w->errlen, "%sthe answer has no %s "
			 "(\"%s\" is not an array index)", w->what, w->where,
			 seg);
		return 0;
	}
	idx = strtoul(seg, NULL, 10);
	if (idx >= json_object_array_length(cur)) {
		snprintf(w->err, w->errlen, "%sthe answer has no %s (index out "
			 "of range)", w->what, w->where);
		return 0;
	}
	*child = json_object_array_get_idx(cur, idx);
	return 1;
}

/*
 * Walk cur down path (segments separated by dots, modified in place and
 * put back); at the end, match the leaf.  A "*" walks every element of an
 * array.  SMS_OK or SMS_FAILED with w->err.
 */
static int
json_walk(struct json_object *cur, char *path, struct json_walk *w)
{
	struct json_object *child = NULL;
	char *next, *rest;
	size_t save;
	int rc;

	if (path == NULL) {
		if (w->value == NULL)
			return json_leaf_present(cur, w) ? SMS_OK : SMS_FAILED;
		return json_leaf_matches(cur, w->what, w->where, w->value,
					 w->err, w->errlen) ? SMS_OK : SMS_FAILED;
	}
	next = strchr(path, '.');
	if (next != NULL)
		*next = '\0';
	rest = next != NULL ? next + 1 : NULL;
	json_where_add(w, path, &save);
	if (strcmp(path, "*") == 0) {
		rc = json_walk_all(cur, rest, save, w);
	} else {
		rc = json_child(cur, path, w, &child) ?
		    json_walk(child, rest, w) : SMS_FAILED;
	}
	if (next != NULL)
		*next = '.';
	return rc;
}

static int
json_match_path(const char *body, size_t len, const char *what,
		const char *path, size_t plen, const char *value, char *err,
		size_t errlen)
{
	struct json_object *root = NULL;
	struct json_walk w;
	char *copy;
	int rc;

	rc = sms_json_parse(body != NULL ? body : "", body != NULL ? len : 0,
			      &root, err, errlen);
	if (rc != SMS_OK)
		return rc;
	copy = strndup(path, plen);
	if (copy == NULL) {
		sms_json_put_wiped(root);
		return SMS_ENOMEM;
	}
	memset(&w, 0, sizeof(w));
	w.what = what;
	w.value = value;
	w.err = err;
	w.errlen = errlen;
	rc = json_walk(root, copy, &w);
	free(copy);
	sms_json_put_wiped(root);
	return rc;
}

int
sms_json_match(const char *body, size_t len, const char *rule,
	       char *err, size_t errlen)
{
	if (sms_json_rule_check(rule, err, errlen) != 0)
		return SMS_FAILED;
	return sms_json_rule_match(body, len, "success_json: ", rule, err,
				   errlen);
}

int
sms_json_rule_match(const char *body, size_t len, const char *what,
		    const char *rule, char *err, size_t errlen)
{
	const char *eq = strchr(rule, '=');

	if (eq == NULL) {
		snprintf(err, errlen, "no valid rule");
		return SMS_FAILED;
	}
	return json_match_path(body, len, what, rule, (size_t)(eq - rule),
			       eq + 1, err, errlen);
}

int
sms_json_present(const char *body, size_t len, const char *path,
		 char *err, size_t errlen)
{
	if (path == NULL || path[0] == '\0' || strchr(path, '*') != NULL) {
		snprintf(err, errlen, "no valid path");
		return SMS_FAILED;
	}
	return json_match_path(body, len, "", path, strlen(path), NULL, err,
			       errlen);
}

/* ---------------------------------------------------------------------
 * XML answers (AWS): one element's text, no parser needed
 */

int
sms_xml_element(const char *body, size_t len, const char *name,
		char *err, size_t errlen)
{
	char open[64], close[64];
	const char *a, *b, *end;
	size_t i, lo, lc;

	if (body == NULL)
		len = 0;
	snprintf(open, sizeof(open), "<%s>", name);
	snprintf(close, sizeof(close), "</%s>", name);
	lo = strlen(open);
	lc = strlen(close);
	a = body != NULL && len >= lo ? memmem(body, len, open, lo) : NULL;
	if (a == NULL) {
		snprintf(err, errlen, "the answer has no <%s>", name);
		return SMS_FAILED;
	}
	a += lo;
	end = body + len;
	b = memmem(a, (size_t)(end - a), close, lc);
	if (b == NULL) {
		snprintf(err, errlen, "the answer's <%s> is not closed", name);
		return SMS_FAILED;
	}
	while (a < b && isspace((unsigned char)*a))
		a++;
	if (a == b) {
		snprintf(err, errlen, "the answer's <%s> is empty", name);
		return SMS_FAILED;
	}
	for (i = 0; a + i < b; i++) {
		unsigned char c = (unsigned char)a[i];

		if (util_is_ctl(c, 0) || c == '<' || c == '&') {
			snprintf(err, errlen, "the answer's <%s> is not a plain "
				 "text", name);
			return SMS_FAILED;
		}
	}
	return SMS_OK;
}

