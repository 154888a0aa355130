/* dmarc.h: DMARC policy records (RFC 7489 §6.3 and the newer DMARCbis
 * draft) as published at _dmarc.<domain>.
 *
 * The record starts with "v=DMARC1" (exactly, blanks allowed around "="),
 * then "tag=value" pairs separated by ";".  Tags understood: p, sp, np,
 * rua, ruf, pct, rf, ri, adkim, aspf, fo, psd, t.  Tag names and keyword
 * values are case-insensitive; a tag given twice is an error; unknown tags
 * are ignored (RFC 7489 §6.3).  Without p=, a record with a valid rua is
 * taken as p=none (RFC 7489 §6.6.3); without either it is an error.
 */
#ifndef NOTSPAM_DMARC_H
#define NOTSPAM_DMARC_H

#include <stddef.h>

/* One report URI of rua= or ruf=. */
struct dmarc_uri {
	char			*uri;	 /* as written, without the size limit */
	char			*scheme; /* lower case: "mailto", "https" */
	char			*address; /* mailto: the address, %-decoded */
	char			*domain;  /* mailto: its domain, lower case,
					     no final dot; else NULL */
	unsigned long long	 limit;	 /* "!10m": bytes; 0 for no limit */
};

struct dmarc_rec {
	char		*p;	/* "none", "quarantine", "reject"; NULL when
				   absent (then treated as none) */
	char		*sp;	/* NULL when absent */
	char		*np;	/* NULL when absent */
	char		*adkim;	/* "r" or "s"; NULL when absent */
	char		*aspf;
	char		*fo;	/* NULL when absent */
	char		*rf;	/* NULL when absent */
	long		 pct;	/* -1 when absent */
	long long	 ri;	/* -1 when absent */
	struct dmarc_uri *rua;
	size_t		 nrua;
	struct dmarc_uri *ruf;
	size_t		 nruf;
};

/* Does the text start like a DMARC record ("v=DMARC1" then ";", a blank or
 * its end)?  Records that do not are ignored by receivers. */
int dmarc_is_record(const char *text, size_t len);

/*
 * Parse a record (the TXT strings joined).  Returns 0 and fills *rec (free
 * with dmarc_free), or -1 with *cause ("tag p= appears twice", "p=maybe is
 * not none, quarantine or reject") and *rec left empty.
 */
int dmarc_parse(const char *text, size_t len, struct dmarc_rec *rec,
    char **cause);
void dmarc_free(struct dmarc_rec *);

/* The organizational domain of a name: its last two labels ("example.org"
 * for "mail.example.org").  Without the Public Suffix List this is wrong
 * for names under multi-label suffixes such as co.uk; a name of one or two
 * labels is its own.  Caller frees. */
char *dmarc_org_domain(const char *name);

#endif
