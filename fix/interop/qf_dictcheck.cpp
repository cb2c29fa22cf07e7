// Loads a QuickFIX XML data dictionary into QuickFIX C++ and validates FIX messages against it, the way a
// QuickFIX engine does on receipt (header, body, groups, required fields, value types and enums).
// Usage: qf_dictcheck <dictionary.xml>   then one message per stdin line, SOH written as '|'.
// Prints "LOADED" (or "ERROR <why>" and exits 1), then "OK" or "INVALID <what QuickFIX said>" per line.
#include <quickfix/DataDictionary.h>
#include <quickfix/Message.h>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) { std::cerr << "usage: qf_dictcheck <dictionary.xml>\n"; return 2; }
  FIX::DataDictionary dd;
  try {
    dd.readFromURL(argv[1]);
    dd.checkUserDefinedFields(true);
  } catch (std::exception& e) {
    std::cout << "ERROR " << e.what() << std::endl;
    return 1;
  }
  std::cout << "LOADED" << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    for (auto& c : line) if (c == '|') c = '\x01';
    try {
      FIX::Message msg(line, dd, true);
      FIX::DataDictionary::validate(msg, &dd, &dd);
      std::cout << "OK" << std::endl;
    } catch (std::exception& e) {
      std::cout << "INVALID " << e.what() << std::endl;
    }
  }
  return 0;
}
