/* export.c: missing records as a zone-file snippet, written with fswrite:
 * the mail host's block, then the domain's records. */
#include "core/check/export.h"

#include <stdlib.h>
#include <string.h>

#include "core/check/check.h"
#include "core/check/records.h"
#include "core/lib/dnsname.h"
#include "core/lib/fswrite.h"
#include "core/site/site.h"
#include "core/lib/util.h"

/* The check of this id in the results, or NULL. */
static const struct check_item *
item_of(const struct check_domain *results, const char *id)
{
	size_t i;

	for (i = 0; results != NULL && i < results->nitems; i++)
		if (strcmp(results->items[i].id, id) == 0)
			return &results->items[i];
	return NULL;
}

/* Is record r needed still?  Every record when there are no results; else
 * those whose check is not ok.  The DMARC report authorization has no
 * check of its own: it is needed when DMARC is not ok; and a DMARC record
 * whose only fault is that authorization is already right. */
static int
needed(const struct check_domain *results, const struct record *r)
{
	const struct check_item *it;

	if (results == NULL)
		return 1;
	if (strcmp(r->id, "dmarc-report") == 0)
		return (it = item_of(results, "dmarc")) == NULL ||
		    it->status != CHECK_OK;
	if ((it = item_of(results, r->id)) == NULL)
		return 1;
	if (it->status == CHECK_OK)
		return 0;
	if (strcmp(r->id, "dmarc") == 0 && it->fix != NULL &&
	    strstr(it->fix, "._report._dmarc.") != NULL &&
	    strstr(it->fix, r->name) == NULL)
		return 0;
	return 1;
}

/* The results of set (the host's or its domain's), or NULL. */
static const struct check_domain *
result_of(const struct check_domain *res, size_t nres,
    const struct record_set *set)
{
	size_t i;

	for (i = 0; res != NULL && i < nres; i++)
		if (res[i].host == set->host &&
		    strcmp(res[i].domain, set->domain) == 0)
			return &res[i];
	return NULL;
}

/* Append the records of set still needed (all of them without results)
 * to b, after the line head when one is (head NULL: none); zone: the
 * domain the snippet loads as (NULL: any name), a record outside it is a
 * comment.  Returns the number of zone lines written; *entries counts the
 * comments too. */
static int
export_set(struct buf *b, const struct record_set *set,
    const struct check_domain *results, const char *zone, const char *head,
    int *entries)
{
	const struct record *r;
	char *line, *safe, *name;
	size_t i;
	int count = 0;

	*entries = 0;
	for (i = 0; i < set->nrecords; i++) {
		r = &set->records[i];
		if (!needed(results, r))
			continue;
		if ((*entries)++ == 0 && head != NULL)
			buf_printf(b, "%s\n", head);
		if (r->error != NULL || r->value == NULL) {
			safe = str_sanitize(r->error ? r->error : "?",
			    strlen(r->error ? r->error : "?"));
			buf_printf(b, "; %s: not computed: %s\n", r->id, safe);
			free(safe);
			continue;
		}
		line = records_zone_line(r);
		name = xstrndup(r->name, strlen(r->name) - 1);
		if (strcmp(r->type, "PTR") == 0)
			buf_printf(b, "; in the reverse zone of the address "
			    "owner (ask your provider):\n; %s\n", line);
		else if (strcmp(r->id, "dmarc-report") == 0)
			/* Another zone's record: a comment here, so the
			 * snippet still loads as this domain's zone. */
			buf_printf(b, "; in the zone of the report domain "
			    "(add it there):\n; %s\n", line);
		else if (zone != NULL && !dnsname_under(name, zone))
			buf_printf(b, "; in the zone of the mail host %s (add"
			    " it there):\n; %s\n", set->domain, line);
		else {
			buf_printf(b, "%s\n", line);
			count++;
		}
		free(name);
		free(line);
	}
	return count;
}

int
export_missing(const struct site *site, const char *domain,
    const struct check_domain *results, size_t nresults, const char *path,
    char **cause)
{
	struct record_set *sets = NULL;
	const struct record_set *set;
	struct buf b;
	size_t n = 0, i;
	char *head;
	struct fswrite_opts o;
	int count = 0, rc = -1, hostblock = 0, entries;

	buf_init(&b);
	if (records_build(site, domain, &sets, &n, cause) != 0)
		return -1;
	if (domain == NULL && (n == 0 || !sets[0].host)) {
		error_set(cause, "the mail host name is unknown: set myhostname"
		    " in Postfix or hostname in smtpd.conf");
		goto done;
	}
	for (i = 0; i < n; i++) {
		set = &sets[i];
		if (domain == NULL && !set->host)
			continue;
		if (i == 0)
			buf_printf(&b, "; records %s%s still needs, written by"
			    " notspam\n", domain == NULL ? "the mail host " :
			    "", domain == NULL ? set->domain : domain);
		/* The host's block under its header; a domain's records
		 * under its name when they follow that block. */
		if (set->host)
			head = xasprintf("; the mail host %s: in its zone and"
			    " in the reverse zones", set->domain);
		else
			head = hostblock ? xasprintf("; %s", set->domain) :
			    NULL;
		count += export_set(&b, set, result_of(results, nresults, set),
		    domain, head, set->host ? &hostblock : &entries);
		free(head);
	}
	memset(&o, 0, sizeof o);
	o.mode = 0644;
	o.flags = FSWRITE_NOREPLACE;
	if (fswrite_file(NULL, path, b.data, b.len, &o, cause) != 0)
		goto done;
	rc = count;
done:
	buf_free(&b);
	records_free(sets, n);
	return rc;
}
