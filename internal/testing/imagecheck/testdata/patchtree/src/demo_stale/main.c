/* upstream already made it static: the patch no longer matches */
static bool skipped_evtrigs_logged = false;
