/* summary.c: the host line, the domain columns and the findings from check
 * results. */
#include "core/check/summary.h"

#include <stdlib.h>
#include <string.h>

#include "core/lib/util.h"

const char *
summary_kind_name(enum summary_kind k)
{
	static const char *const names[SUM_NKINDS] = {
		"MX", "SPF", "DKIM", "DMARC", "Blocklists", "IPv4 A+PTR",
		"IPv6 AAAA+PTR", "HELO SPF", "Blocklists"
	};

	return k < SUM_NKINDS ? names[k] : "?";
}

const char *
summary_kind_key(enum summary_kind k)
{
	static const char *const keys[SUM_NKINDS] = {
		"mx", "spf", "dkim", "dmarc", "blocklists", "ipv4_a_ptr",
		"ipv6_aaaa_ptr", "helo_spf", "blocklists"
	};

	return k < SUM_NKINDS ? keys[k] : "?";
}

int
summary_rank(enum check_status s)
{
	switch (s) {
	case CHECK_OK:
		return 0;
	case CHECK_PENDING:
		return 1;
	case CHECK_WARN:
		return 2;
	case CHECK_UNKNOWN:
		return 3;
	case CHECK_FAIL:
		return 4;
	}
	return 0;
}

/* Which kind an item id of the host's results (host) or a domain's
 * belongs to, or SUM_NKINDS for none. */
static enum summary_kind
item_kind(const char *id, int host)
{
	if (str_startswith(id, "dnsbl:"))
		return host ? SUM_HOST_BL : SUM_BL;
	if (strcmp(id, "mx") == 0)
		return SUM_MX;
	if (strcmp(id, "spf") == 0)
		return SUM_SPF;
	if (strcmp(id, "spf-helo") == 0)
		return SUM_HELO;
	if (str_startswith(id, "dkim:"))
		return SUM_DKIM;
	if (strcmp(id, "dmarc") == 0)
		return SUM_DMARC;
	if (strcmp(id, "host-a") == 0)
		return SUM_HOST4;
	if (strcmp(id, "host-aaaa") == 0)
		return SUM_HOST6;
	if (str_startswith(id, "ptr:"))
		return strchr(id + 4, ':') != NULL ? SUM_HOST6 : SUM_HOST4;
	return SUM_NKINDS;
}

enum check_status
summary_kind_status(const struct check_domain *d, enum summary_kind k,
    size_t *count)
{
	enum check_status worst = CHECK_OK;
	size_t i, n = 0;

	for (i = 0; i < d->nitems; i++) {
		if (item_kind(d->items[i].id, d->host) != k)
			continue;
		n++;
		if (summary_rank(d->items[i].status) > summary_rank(worst))
			worst = d->items[i].status;
	}
	if (count != NULL)
		*count = n;
	return worst;
}

static int
finding_cmp(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	int rx = summary_rank(x->status), ry = summary_rank(y->status);

	if (rx != ry)
		return ry - rx;
	/* Within a severity: result order (domain, then item). */
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
summary_findings(const struct check_domain *doms, size_t nd,
    struct finding **out, size_t *n)
{
	size_t i, j, k = 0, cap = 0;

	for (i = 0; i < nd; i++)
		cap += doms[i].nitems;
	*out = xcalloc(cap + 1, sizeof **out);
	for (i = 0; i < nd; i++)
		for (j = 0; j < doms[i].nitems; j++) {
			const struct check_item *it = &doms[i].items[j];
			if (it->status == CHECK_OK ||
			    it->status == CHECK_PENDING)
				continue;
			(*out)[k].status = it->status;
			(*out)[k].domain = doms[i].domain;
			(*out)[k].host = doms[i].host;
			(*out)[k].item = it;
			(*out)[k].seq = k;
			k++;
		}
	qsort(*out, k, sizeof **out, finding_cmp);
	*n = k;
}
