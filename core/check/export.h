/* export.h: write the records a domain (or the mail host) still needs as a
 * zone-file snippet. */
#ifndef NOTSPAM_EXPORT_H
#define NOTSPAM_EXPORT_H

#include <stddef.h>

struct site;
struct check_domain;

/*
 * Write to `path` (a host path, relative to the working directory or
 * absolute; created new with fswrite's FSWRITE_NOREPLACE, mode 0644: an
 * existing file, even a symlink, is not replaced) every record of `domain`
 * whose check is not ok (all of them when results is NULL), as zone-file
 * lines with absolute names, after the mail host's records that are not
 * ok, once, in their own block ("; the mail host NAME: in its zone and in
 * the reverse zones"): that domain's mail needs them too.  domain NULL:
 * the mail host's block alone.  results/nresults: the check results
 * (check_results()), the host's and the domains', or NULL/0.
 * PTR records, which belong to the address owner's reverse zone, the DMARC
 * report authorization, which belongs to the report domain's zone, and in
 * a domain's snippet the host's records outside that domain are written
 * as comments (the snippet loads as this domain's zone).
 * Returns the number of records written, or -1 with *cause naming the path
 * (a full or read-only file system, a name that exists: see fswrite.h);
 * nothing is left behind on failure.
 */
int export_missing(const struct site *, const char *domain,
    const struct check_domain *results, size_t nresults, const char *path,
    char **cause);

#endif
