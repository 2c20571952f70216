"""Placeholder until implemented."""

from rest_framework.views import APIView


class DatasetListApi(APIView):
    pass


class DatasetItemsImportApi(APIView):
    pass


class RubricListApi(APIView):
    pass


class CampaignListApi(APIView):
    pass
