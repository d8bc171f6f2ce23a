module.exports = { preset: '@tickpulse/config' };
