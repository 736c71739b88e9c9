// berth's formatting: the house style the code was written in (wide lines for one-line domain calls).
export default { printWidth: 160, singleQuote: true, trailingComma: 'all', arrowParens: 'always', semi: true };
