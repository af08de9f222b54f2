# Added to the makefile mcconfig generates for an ESP32 board (make -f <that makefile> -f this):
# compile every module (tsc, xsc) and link them with preloading (xsl) into a scratch folder, the
# part of a device build that needs no ESP-IDF. The C objects, linking and flashing are idf.py's.
xs-modules: $(MODULES)
	mkdir -p $(TMP_DIR)/xs-modules
	xsl -b $(MODULES_DIR) -o $(TMP_DIR)/xs-modules $(PRELOADS) $(STRIPS) $(CREATION) $(MODULES)
