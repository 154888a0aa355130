/* cli_spf.c: "notspam spf DOMAIN IP [SENDER] [--helo HOST]": one
 * check_host() evaluation, as text or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dns/dns.h"
#include "core/lib/json.h"
#include "core/lib/loop.h"
#include "core/lib/netaddr.h"
#include "core/dns/spf.h"
#include "core/site/session.h"
#include "core/lib/util.h"
#include "ui/cli.h"

static const char spf_usage[] =
    "usage: notspam [--resolver IP[:PORT]] [--json] spf DOMAIN IP [SENDER] "
    "[--helo HOST]\n";

struct cli_spf_state {
	const struct cli_opts	*o;
	int			 done;
};

/* Print untrusted text (DNS data) made safe for the terminal. */
static void
spf_put(const char *s)
{
	char *safe = str_sanitize(s, strlen(s));

	fputs(safe, stdout);
	free(safe);
}

static void
spf_text(const struct spf_outcome *out)
{
	size_t i;

	printf("%s\n", spf_result_name(out->result));
	spf_put(out->explanation != NULL ? out->explanation : "");
	putchar('\n');
	if (out->record != NULL) {
		fputs("record: ", stdout);
		spf_put(out->record);
		putchar('\n');
	}
	printf("lookups: %d of 10, void lookups: %d of 2\n", out->lookups,
	    out->void_lookups);
	for (i = 0; i < out->ncounts; i++) {
		printf("  %*s", out->counts[i].depth * 2, "");
		spf_put(out->counts[i].domain);
		printf(": %d own, %d in all\n", out->counts[i].lookups,
		    out->counts[i].total);
	}
}

static void
spf_json(const struct spf_outcome *out)
{
	struct json j;
	char *doc;
	size_t i;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "result", spf_result_name(out->result));
	json_string(&j, "explanation", out->explanation);
	json_int(&j, "lookups", out->lookups);
	json_int(&j, "void_lookups", out->void_lookups);
	json_string(&j, "record", out->record);
	json_string(&j, "matched", out->matched);
	json_array_begin(&j, "counts");
	for (i = 0; i < out->ncounts; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "domain", out->counts[i].domain);
		json_int(&j, "depth", out->counts[i].depth);
		json_int(&j, "lookups", out->counts[i].lookups);
		json_int(&j, "total", out->counts[i].total);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	doc = json_finish(&j);
	fputs(doc, stdout);
	free(doc);
}

static void
spf_done(const struct spf_outcome *out, void *arg)
{
	struct cli_spf_state *st = arg;

	if (st->o->json)
		spf_json(out);
	else
		spf_text(out);
	st->done = 1;
}

static int
spf_bad(const char *what, const char *value)
{
	char *safe = str_sanitize(value, strlen(value));

	fprintf(stderr, "notspam: spf: %s \"%s\"\n", what, safe);
	free(safe);
	fputs(spf_usage, stderr);
	return EX_USAGE;
}

int
cli_spf(const struct cli_opts *o, int argc, char **argv)
{
	struct cli_spf_state st;
	struct spf_request req;
	struct session_opts so;
	struct session *s;
	struct dns *dns;
	const char *pos[3], *helo = NULL;
	char *canon, *cause = NULL;
	int i, npos = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--helo") == 0) {
			if (i + 1 >= argc) {
				fputs("notspam: spf: --helo needs a value\n",
				    stderr);
				fputs(spf_usage, stderr);
				return EX_USAGE;
			}
			helo = argv[++i];
		} else if (strncmp(argv[i], "--helo=", 7) == 0)
			helo = argv[i] + 7;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return spf_bad("unknown option", argv[i]);
		else if (npos == 3)
			return spf_bad("too many arguments at", argv[i]);
		else
			pos[npos++] = argv[i];
	}
	if (npos < 2) {
		fputs(spf_usage, stderr);
		return EX_USAGE;
	}
	if (*pos[0] == '\0')
		return spf_bad("empty domain", pos[0]);
	if ((canon = netaddr_canon(pos[1], NULL)) == NULL)
		return spf_bad("not an IP address:", pos[1]);
	free(canon);

	memset(&req, 0, sizeof req);
	req.domain = pos[0];
	req.ip = pos[1];
	req.sender = npos > 2 && *pos[2] != '\0' ? pos[2] : NULL;
	req.helo = helo;

	cli_session_opts(o, &so);
	so.no_site = 1;
	s = session_open(&so, &cause);
	if ((dns = session_dns(s, NULL)) == NULL) {
		cause = s->dns_error;
		canon = str_shown(cause != NULL ? cause : "cannot start "
		    "the resolver", strlen(cause != NULL ? cause : "cannot "
		    "start the resolver"));
		fprintf(stderr, "notspam: spf: %s\n", canon);
		free(canon);
		session_close(s);
		return EX_TEMPFAIL;
	}
	st.o = o;
	st.done = 0;
	spf_check(dns, &req, spf_done, &st);
	loop_run(s->loop, &st.done);
	session_close(s);
	if (!st.done) {
		fputs("notspam: spf: the evaluation did not finish\n", stderr);
		return EX_SOFTWARE;
	}
	return 0;
}
