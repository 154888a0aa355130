/* export.h: write the records a domain still needs as a zone-file snippet. */
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
 * lines with absolute names; PTR records, which belong to the address
 * owner's reverse zone, and the DMARC report authorization, which belongs
 * to the report domain's zone, are written as comments (the snippet loads
 * as this domain's zone).
 * Returns the number of records written, or -1 with *cause naming the path
 * (a full or read-only file system, a name that exists: see fswrite.h);
 * nothing is left behind on failure.
 */
int export_missing(const struct site *, const char *domain,
    const struct check_domain *results, const char *path, char **cause);

#endif
