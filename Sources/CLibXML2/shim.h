// libxml2 built with ICU declares ICU types that clash with the ICU bundled in Foundation
// ("'UErrorCode' has different definitions in different modules"). Read the version header
// first, then switch ICU off before any other libxml2 header is seen.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>
