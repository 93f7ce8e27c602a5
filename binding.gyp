{
  "variables": {
    "sanitize%": "<!(node -p \"process.env.RAWSOCK_SANITIZE ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "rawsock",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('src-native').filter(f => f.endsWith('.cc')).map(f => 'src-native/' + f).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror=return-type", "-fvisibility=hidden"],
      "libraries": ["-ldl"],
      "conditions": [
        ["OS!='linux'", { "sources": [] }],
        ["sanitize==1", {
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-O1", "-g"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    }
  ]
}
