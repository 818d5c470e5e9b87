"""Shop owners' names for licences (issue 16), added to a database seeded before
them: a seed group none of whose words a shared group holds yet is created; a
seed group that shares words with one shared group gets its missing words
there. Groups the central admins edited stay as they are otherwise."""
from django.db import migrations

ADDED = [
    ("餐饮执照", "餐饮许可证", "餐饮服务许可证", "饭店卫生许可证", "饭店许可证"),
    ("卫生证", "卫生许可证"),
    ("特行证", "特种行业许可证"),
    ("歌厅", "歌舞厅", "娱乐场所", "ktv", "卡拉ok"),
]


def add(apps, schema_editor):
    SynonymGroup = apps.get_model("search", "SynonymGroup")
    for words in ADDED:
        holding = list(SynonymGroup.objects.filter(authority="", words__overlap=list(words)))
        if not holding:
            SynonymGroup.objects.create(words=list(words), authority="")
        elif len(holding) == 1:
            group = holding[0]
            # No word in two groups: one another group holds already stays there.
            others = SynonymGroup.objects.filter(authority="").exclude(pk=group.pk).values_list("words", flat=True)
            taken = {word for row in others for word in row}
            group.words = [*group.words, *(w for w in words if w not in group.words and w not in taken)]
            group.save(update_fields=["words"])


class Migration(migrations.Migration):
    dependencies = [("search", "0003_synonym_authority")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
