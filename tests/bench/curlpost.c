/* curlpost.c: the least a process can do to make the login's request
 * through libcurl: one POST of BODY to URL, trusting CA, and nothing else.
 * The bench measures its peak RSS as the reference for the send process's
 * (the same libcurl, the same TLS), beside curl's.
 *	curlpost URL CA BODY		exit status 0 on a 2xx */
#include <stdio.h>

#include <curl/curl.h>

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
}

int
main(int argc, char **argv)
{
	CURL *h;
	long status = 0;
	CURLcode rc;

	if (argc != 4) {
		fprintf(stderr, "usage: curlpost URL CA BODY\n");
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (h = curl_easy_init()) == NULL)
		return 2;
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_CAINFO, argv[2]);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, argv[3]);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return rc == CURLE_OK && status / 100 == 2 ? 0 : 1;
}
